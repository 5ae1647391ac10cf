using Npgsql;

namespace RelationsLedger.Tests.Support;

/// <summary>Plain SQL a test runs beside the app: a statement on a connection it holds (a lock, an open transaction),
/// or a count on a connection of its own.</summary>
public static class Sql
{
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<long> CountAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    /// <summary>Whether some session waits for an advisory lock (the seeds' lock a test holds).</summary>
    public static async Task<bool> AdvisoryLockAwaitedAsync(string connectionString, CancellationToken ct) =>
        await CountAsync(connectionString, "select count(*) from pg_locks where locktype = 'advisory' and not granted", ct) > 0;
}
