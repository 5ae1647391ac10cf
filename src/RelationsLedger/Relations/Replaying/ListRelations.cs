using Marten;
using RelationsLedger.Relations.Projections;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

public sealed record RelationListing(string Pair, int EventCount, Occurrence? FirstEventOn, Occurrence? LastEventOn, long Sequence);

public static class ListRelations
{
    /// <summary>Every pair with its event counts and first/last event dates (from the async summary projection).</summary>
    [WolverineGet("/api/relations")]
    public static async Task<IResult> Get(IQuerySession session, CancellationToken ct)
    {
        var summaries = await session.Query<RelationshipSummary>().OrderBy(x => x.Id).ToListAsync(ct);
        return TypedResults.Ok(new
        {
            relations = summaries.Select(s => new RelationListing(s.Id, s.State.EventCount, s.FirstEventOn, s.LastEventOn, s.Sequence)),
        });
    }
}
