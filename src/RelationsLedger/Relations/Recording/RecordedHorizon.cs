using System.Runtime.CompilerServices;
using Marten;
using Npgsql;

namespace RelationsLedger.Relations.Recording;

/// <summary>Makes "as known at an instant" an answer that cannot change later. A write stamps its recordedAt from the
/// database's clock before it commits, so for the length of its commit (seconds behind a lock or a slow disk) an event
/// recorded before an instant is not yet visible to a read as known at that instant. Every write holds a shared
/// advisory lock from before it takes the stamp until its commit (<see cref="WriterLock"/>); a read as known at an
/// instant past the settled horizon takes that lock exclusively once — it waits out the writes in flight, and the
/// writes queued behind it stamp later — and moves the horizon to the database's clock at that moment. Reads at an
/// instant before the horizon (the dashboard's slider) pay nothing. The same holds for a basis: a write draws its
/// sequences under the shared lock too, so a write of another pair may commit a sequence below one already committed;
/// the barrier also moves a sequence horizon, below which every sequence drawn is committed or abandoned.</summary>
public sealed class RecordedHorizon(IDocumentStore store)
{
    /// <summary>The advisory lock's key ("RelLedg" in ASCII): other applications' keys on a shared database do not meet it.</summary>
    private const long Key = 0x52656C4C656467;

    /// <summary>The statement a write runs after BEGIN and before anything that stamps or locks a row.</summary>
    public static NpgsqlBatchCommand WriterLock => new($"select pg_advisory_xact_lock_shared({Key})");

    private static readonly ConditionalWeakTable<IDocumentStore, RecordedHorizon> OfStore = new();

    public static RecordedHorizon Of(IDocumentStore store) => OfStore.GetValue(store, s => new RecordedHorizon(s));

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _settledTicks = DateTimeOffset.MinValue.UtcTicks;
    // when the last barrier read the database's clock (Stopwatch timestamp; 0: none yet)
    private long _barrierAt;

    /// <summary>Everything recorded at or before this instant is committed and visible.</summary>
    public DateTimeOffset Settled => new(Interlocked.Read(ref _settledTicks), TimeSpan.Zero);

    private long _settledSequence;

    /// <summary>Every event with a sequence at or below this one is committed and visible (or was never recorded).</summary>
    public long SettledSequence => Interlocked.Read(ref _settledSequence);

    /// <summary>For tests, which empty the ledger under a running app: its sequences start again from 1.</summary>
    internal void Forget() => Interlocked.Exchange(ref _settledSequence, 0);

    /// <summary>For tests: how many times the writers were waited out.</summary>
    internal int Barriers;

    /// <summary>For tests: how many times a basis was looked up among the sequences drawn.</summary>
    internal int Lookups;

    /// <summary>Returns once every event recorded at or before <paramref name="knownAt"/> is visible to a read that
    /// starts after it (at once when there is no instant, or it is before the horizon), and whether it is: then what
    /// was known at that instant can no longer grow, and a read that starts now is the same answer for ever. An instant
    /// still ahead cannot be settled — its answer is the newest one, as a read's without knownAt — so one the database's
    /// clock has not reached (its reading at the last barrier, moved on by the time since) does not hold the writers up
    /// for nothing, nor, before any barrier, one more than a minute ahead of the app's clock (the two may differ a little).</summary>
    public async Task<bool> SettleAsync(DateTimeOffset? knownAt, CancellationToken ct)
    {
        if (knownAt is not { } at) return false;
        if (at <= Settled) return true;
        if (Ahead(at)) return false;
        await _gate.WaitAsync(ct);
        try
        {
            // a barrier that ran while this one waited may have settled it, or found it ahead
            if (at > Settled && !Ahead(at)) await BarrierAsync(ct);
        }
        finally { _gate.Release(); }
        return at <= Settled;
    }

    /// <summary>Returns once every event with a sequence at or below <paramref name="basis"/> is committed and visible
    /// (at once when there is none, or it is below the sequence horizon), and whether it is, as for an instant. A
    /// sequence not drawn yet cannot be settled — the answer is the newest one — so it is looked up first, without
    /// holding the writers up.</summary>
    public async Task<bool> SettleAsync(long? basis, CancellationToken ct)
    {
        if (basis is not { } sequence) return false;
        if (sequence <= SettledSequence) return true;
        // before the gate: a barrier under way waits for the writers, and this may not need one
        if (sequence > await DrawnAsync(ct)) return false;
        await SettleThroughAsync(sequence, ct);
        return sequence <= SettledSequence;
    }

    /// <summary>Returns once every sequence drawn so far is committed or abandoned, with the sequence horizon then (at
    /// least the highest drawn): a read in sequence order up to it lists every event there will ever be below it.</summary>
    public async Task<long> SettleDrawnAsync(CancellationToken ct)
    {
        var drawn = await DrawnAsync(ct);
        if (drawn > SettledSequence) await SettleThroughAsync(drawn, ct);
        return SettledSequence;
    }

    /// <summary>One barrier, unless one that ran meanwhile has settled <paramref name="sequence"/> already.</summary>
    private async Task SettleThroughAsync(long sequence, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (sequence > SettledSequence) await BarrierAsync(ct);
        }
        finally { _gate.Release(); }
    }

    private async Task<long> DrawnAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var drawn = new NpgsqlCommand(DrawnSql, connection);
        Interlocked.Increment(ref Lookups);
        return (long)(await drawn.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Both: the instant, else the basis (a read gives one of them at most). Whether what is known is fixed
    /// must be taken from here, before the read: a horizon that moves on after it says nothing of what the read saw.</summary>
    public Task<bool> SettleAsync(DateTimeOffset? knownAt, long? basis, CancellationToken ct) =>
        knownAt is not null ? SettleAsync(knownAt, ct) : SettleAsync(basis, ct);

    /// <summary>The highest sequence drawn so far (0: none).</summary>
    private string DrawnSql =>
        $"select case when is_called then last_value else 0 end from {store.Options.Events.DatabaseSchemaName}.mt_events_sequence";

    private async Task BarrierAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("begin"),
                new($"select pg_advisory_xact_lock({Key})"),
                new($"select clock_timestamp(), ({DrawnSql})"),
                new("commit"),
            },
        };
        // taken before the clock is read: the database's clock is then never thought behind where it is
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var (now, drawn) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1));
        if (now.UtcTicks > Interlocked.Read(ref _settledTicks)) Interlocked.Exchange(ref _settledTicks, now.UtcTicks);
        if (drawn > Interlocked.Read(ref _settledSequence)) Interlocked.Exchange(ref _settledSequence, drawn);
        Interlocked.Exchange(ref _barrierAt, sent);
        Interlocked.Increment(ref Barriers);
    }

    private bool Ahead(DateTimeOffset at) => Interlocked.Read(ref _barrierAt) is var barrier and not 0
        ? at > Settled + System.Diagnostics.Stopwatch.GetElapsedTime(barrier)
        : at > DateTimeOffset.UtcNow.AddMinutes(1);
}
