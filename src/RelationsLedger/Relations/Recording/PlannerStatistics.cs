using Marten;

namespace RelationsLedger.Relations.Recording;

/// <summary>Keeps PostgreSQL's statistics of the event and timeline tables in step with bulk writes. Autovacuum looks
/// at a table once a minute at best, and a bulk import into a new ledger writes hundreds of thousands of events
/// meanwhile: planned with the statistics of an empty table, the async daemon's read of its next 2,000 events sorted
/// the whole rest of the log on disk (measured at 220,000 events: 335 ms a page instead of 3 ms, 75 MB spilled).
/// So after a bulk write, once half of the event table is new since its last statistics, the tables are analyzed in
/// the background: about once per doubling of the ledger, with autovacuum's own analyzes counted.</summary>
public sealed class PlannerStatistics(IDocumentStore store, ILogger logger)
{
    /// <summary>Fewer new rows than this never call for statistics: autovacuum's pace is enough for them.</summary>
    public const long MinimumNewRows = 10_000;

    private const long CheckEveryMilliseconds = 1_000;
    private readonly string _schema = store.Options.Events.DatabaseSchemaName;
    private int _running;
    private long _lastCheck = -CheckEveryMilliseconds;

    /// <param name="newRows">rows inserted since the table's last statistics (<c>n_mod_since_analyze</c>)</param>
    /// <param name="liveRows">rows the table holds now</param>
    public static bool Stale(long newRows, long liveRows) => newRows >= MinimumNewRows && newRows * 2 >= liveRows;

    /// <summary>Checks, at most once a second and never twice at once, whether the tables need statistics, and
    /// gathers them if so; the caller does not wait.</summary>
    public void AfterBulkWrite()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastCheck) < CheckEveryMilliseconds || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
        Interlocked.Exchange(ref _lastCheck, now);
        _ = Task.Run(async () =>
        {
            try { await RefreshAsync(); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or ObjectDisposedException)
            {
                logger.LogWarning(e, "Could not refresh the planner's statistics of the ledger's tables.");
            }
            finally { Volatile.Write(ref _running, 0); }
        });
    }

    private async Task RefreshAsync()
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var check = new Npgsql.NpgsqlCommand(
            $"select n_mod_since_analyze, n_live_tup from pg_stat_user_tables where relid = '{_schema}.mt_events'::regclass", connection);
        await using (var reader = await check.ExecuteReaderAsync())
            if (!await reader.ReadAsync() || !Stale(reader.GetInt64(0), reader.GetInt64(1))) return;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await EventRows.ExecuteAsync(connection, $"analyze {_schema}.mt_events, {_schema}.mt_doc_timelineentry, {_schema}.mt_streams", CancellationToken.None);
        logger.LogInformation("Refreshed the planner's statistics of the ledger's tables after bulk writes in {Milliseconds:0} ms.", clock.Elapsed.TotalMilliseconds);
    }
}
