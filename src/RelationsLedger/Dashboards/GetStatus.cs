using Marten;
using RelationsLedger.Relations;
using RelationsLedger.Platform;
using Wolverine.Http;

namespace RelationsLedger.Dashboards;

public sealed record ProjectionPosition(string Name, long Sequence, long Lag);

public sealed record LedgerStatus(long Events, long Pairs, object? LastAppend, long HighWaterMark, double LagSeconds, IReadOnlyList<ProjectionPosition> Projections, Guid Node);

public static class GetStatus
{
    /// <summary>The ledger's health: how many events, the last append, and how far each async projection has got.</summary>
    [WolverineGet("/api/status")]
    public static async Task<IResult> Get(IQuerySession session, IDocumentStore store, TimeProvider clock, Wolverine.Runtime.IWolverineRuntime runtime, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        // a stream's version is its count of events: counting the event table instead scanned all of it (1.4 s of
        // PostgreSQL per poll of the status page at 1,100,000 events); failed appends' tombstones have a stream of their own
        var counts = (await session.QueryAsync<long>(
            $"select coalesce(sum(version), 0)::bigint from {schema}.mt_streams where id <> '{JasperFx.Events.Tombstone.StreamKey}' " +
            $"union all select count(*) from {schema}.mt_streams where id <> '{JasperFx.Events.Tombstone.StreamKey}' and version > 0", ct)).ToList();
        var lag = await ProjectionLag.MeasureAsync(store, clock, ct);
        var last = lag.Last;
        return TypedResults.Ok(new LedgerStatus(counts[0], counts[1],
            last is null ? null : new { sequence = last.Sequence, recordedAt = last.Timestamp, pair = last.StreamKey },
            last?.Sequence ?? 0, lag.Seconds, lag.Projections, runtime.Options.UniqueNodeId));
    }
}
