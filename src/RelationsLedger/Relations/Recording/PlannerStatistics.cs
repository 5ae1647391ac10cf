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

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly string _schema = store.Options.Events.DatabaseSchemaName;
    private int _running, _wanted;
    private bool _documentsSkipped;

    /// <param name="newRows">rows written since the table's last statistics</param>
    /// <param name="liveRows">rows the table holds now</param>
    public static bool Stale(long newRows, long liveRows) => newRows >= MinimumNewRows && newRows * 2 >= liveRows;

    /// <summary>Asks for a look at the tables' statistics, which are gathered if they are stale; the caller does not
    /// wait. One look runs at a time, at most one a second, and a bulk write that asks meanwhile gets a look after it:
    /// the last writes of an import are looked at too.</summary>
    public void AfterBulkWrite()
    {
        Volatile.Write(ref _wanted, 1);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) _ = Task.Run(LookAsync);
    }

    private async Task LookAsync()
    {
        do
        {
            try
            {
                while (Interlocked.Exchange(ref _wanted, 0) == 1)
                {
                    await RefreshAsync();
                    await Task.Delay(CheckEvery);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or ObjectDisposedException)
            {
                logger.LogWarning(e, "Could not refresh the planner's statistics of the ledger's tables.");
            }
            finally { Volatile.Write(ref _running, 0); }
        }
        // a write that asked after the last look, before this one stopped, found it still running
        while (Volatile.Read(ref _wanted) == 1 && Interlocked.CompareExchange(ref _running, 1, 0) == 0);
    }

    private async Task RefreshAsync()
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        // the rows now from the event sequence, not from the statistics views: a backend reports its writes to those
        // up to seconds later, and the last writes of an import would go unseen; the rows at the last statistics
        // from the table's own count (−1 before any)
        await using var check = new Npgsql.NpgsqlCommand(
            $"select (select last_value from {_schema}.mt_events_sequence), (select greatest(reltuples, 0)::bigint from pg_class where oid = '{_schema}.mt_events'::regclass)", connection);
        await using (var reader = await check.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync()) return;
            var (now, counted) = (reader.GetInt64(0), reader.GetInt64(1));
            if (!Stale(now - counted, now)) return;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // no statistics of the JSON documents: no query compares a whole document, and sorting documents for their
        // statistics was 40 % of an analyze (the three tables at 200,000 events: 650 -> 400 ms; at 1,101,000: 1.3-2.3
        // -> 0.9 s). A column list would do it too, but an analyze with one leaves the indexes' statistics alone. Left
        // as they are when the ledger's role does not own its tables
        if (!_documentsSkipped)
        {
            await EventRows.ExecuteAsync(connection,
                $"""
                do $$ begin
                    alter table {_schema}.mt_events alter column data set statistics 0, alter column headers set statistics 0;
                    alter table {_schema}.mt_doc_timelineentry alter column data set statistics 0;
                exception when insufficient_privilege then null;
                end $$
                """, CancellationToken.None);
            _documentsSkipped = true;
        }
        await EventRows.ExecuteAsync(connection, $"analyze {_schema}.mt_events, {_schema}.mt_doc_timelineentry, {_schema}.mt_streams", CancellationToken.None);
        logger.LogInformation("Refreshed the planner's statistics of the ledger's tables after bulk writes in {Milliseconds:0} ms.", clock.Elapsed.TotalMilliseconds);
    }
}
