using Npgsql;

namespace RelationsLedger.Tests.Support;

/// <summary>A fault inside an append's transaction, after its sequences are drawn: inserting an event whose summary is
/// <see cref="Marker"/> raises an error in PostgreSQL, also for the writer's sessions, which run as replicas where the
/// role may (their triggers fire only when enabled ALWAYS). Removed on dispose.</summary>
public sealed class InjectedFault(NpgsqlConnection connection) : IAsyncDisposable
{
    public const string Marker = "fail here";

    public static async Task<InjectedFault> InstallAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await new NpgsqlCommand($"""
            create function ledger.fail_marked() returns trigger language plpgsql as $$
            begin if new.data ->> 'summary' = '{Marker}' then raise exception 'injected fault'; end if; return new; end $$;
            create trigger fail_marked before insert on ledger.mt_events for each row execute function ledger.fail_marked();
            alter table ledger.mt_events enable always trigger fail_marked;
            """, connection).ExecuteNonQueryAsync(ct);
        return new InjectedFault(connection);
    }

    /// <summary>Tombstones in the event table: the sequences of failed appends.</summary>
    public async Task<long> TombstonesAsync() =>
        (long)(await new NpgsqlCommand("select count(*) from ledger.mt_events where type = 'tombstone'", connection).ExecuteScalarAsync())!;

    public async ValueTask DisposeAsync()
    {
        await new NpgsqlCommand("drop trigger fail_marked on ledger.mt_events; drop function ledger.fail_marked()", connection).ExecuteNonQueryAsync();
        await connection.DisposeAsync();
    }
}
