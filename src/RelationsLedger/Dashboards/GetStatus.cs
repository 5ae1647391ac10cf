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
        var counts = (await session.QueryAsync<long>(
            $"select count(*) from {schema}.mt_events where type <> '{EventRows.Tombstone}' " +
            $"union all select count(distinct stream_id) from {schema}.mt_events where type <> '{EventRows.Tombstone}'", ct)).ToList();
        var lag = await ProjectionLag.MeasureAsync(store, clock, ct);
        var last = lag.Last;
        return TypedResults.Ok(new LedgerStatus(counts[0], counts[1],
            last is null ? null : new { sequence = last.Sequence, recordedAt = last.Timestamp, pair = last.StreamKey },
            last?.Sequence ?? 0, lag.Seconds, lag.Projections, runtime.Options.UniqueNodeId));
    }
}
