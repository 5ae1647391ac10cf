using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;
using Wolverine.Http;

namespace RelationsLedger.Dashboards;

public sealed record SeriesPoint(DateOnly Date, SanctionCounts Sanctions, int PrisonersReleased);

public sealed record ContactYear(int Year, int Count);

public static class GetSeries
{
    /// <summary>Chart series, one point per date on which something happened: each point is the fold's state after
    /// that date, so the charts show exactly what the state endpoint would answer.</summary>
    [WolverineGet("/api/relations/{pair}/series")]
    public static async Task<IResult> Get(string pair, string? knownAt, string? basis, HttpRequest request, IQuerySession session, HistoryCache histories, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p)) return LedgerResults.BadPair(pair);
        var problems = new Problems();
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        var foldable = await Reading.FoldableAsync(session, histories, p, knowledge, ct);
        if (ReadCache.NotModified(request.HttpContext, ReadCache.Tag(request, foldable.Basis.Sequence), foldable.Fixed))
            return ReadCache.Unchanged;
        var resolved = foldable.Resolved().Where(e => !e.Retracted).ToList();
        var (points, contacts) = Walk(resolved);
        return TypedResults.Ok(new { pair = p.Id, points, contactsPerYear = contacts });
    }

    public static (List<SeriesPoint> Points, List<ContactYear> Contacts) Walk(IReadOnlyList<ResolvedEvent> ordered)
    {
        var points = new List<SeriesPoint>();
        var contacts = new SortedDictionary<int, int>();
        var state = RelationshipState.Empty;
        foreach (var day in ordered.GroupBy(e => e.Effective))
        {
            foreach (var e in day)
            {
                var next = state.Evolve(e.Event);
                if (next.LastContact?.EventId != state.LastContact?.EventId)
                    contacts[e.Effective.Year] = contacts.GetValueOrDefault(e.Effective.Year) + 1;
                state = next;
            }
            points.Add(new SeriesPoint(day.Key, state.SanctionCounts, state.PrisonersReleased.Total));
        }
        return (points, contacts.Select(kv => new ContactYear(kv.Key, kv.Value)).ToList());
    }
}
