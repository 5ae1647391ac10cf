using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

public sealed record Change(string Section, string Key, string Kind, JsonNode? Before, JsonNode? After, IReadOnlyList<Guid> EventIds);

public sealed record DiffView(string Pair, DateOnly From, DateOnly To, ReadBasis Basis, IReadOnlyList<Change> Changes);

/// <summary>What changed between two dates: two folds of the same knowledge and a comparison, row by row, that names
/// the events which touched each changed row.</summary>
public static class RelationshipDiff
{
    public static IReadOnlyList<Change> Between(RelationshipState before, RelationshipState after)
    {
        var changes = new List<Change>();
        Rows(changes, "embassies", before.Embassies, after.Embassies, e => $"{e.EmbassyOf} {e.City}", e => e.EventIds);
        Rows(changes, "ambassadors", before.Ambassadors, after.Ambassadors, a => a.AmbassadorOf, a => a.EventIds);
        Rows(changes, "sanctions", before.Sanctions, after.Sanctions, s => $"{s.ImposedBy} {s.Target}{(s.Program is null ? "" : $" ({s.Program})")}", s => s.EventIds);
        if (before.PrisonersReleased.Total != after.PrisonersReleased.Total || before.PrisonersReleased.Releases != after.PrisonersReleased.Releases)
            changes.Add(new Change("prisonersReleased", "total", "changed", Node(before.PrisonersReleased), Node(after.PrisonersReleased),
                after.PrisonersReleased.EventIds.Except(before.PrisonersReleased.EventIds).ToList()));
        if (before.LastContact?.EventId != after.LastContact?.EventId)
            changes.Add(new Change("lastContact", "lastContact", before.LastContact is null ? "added" : "changed",
                Node(before.LastContact), Node(after.LastContact), after.LastContact is null ? [] : [after.LastContact.EventId]));
        return changes;
    }

    private static void Rows<T>(List<Change> changes, string section, ImmutableSortedDictionary<string, T> before,
        ImmutableSortedDictionary<string, T> after, Func<T, string> label, Func<T, EventTrail> touchedBy) where T : class
    {
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (b, a) = (before.GetValueOrDefault(key), after.GetValueOrDefault(key));
            var (bn, an) = (Node(b), Node(a));
            if (JsonNode.DeepEquals(bn, an)) continue;
            var kind = b is null ? "added" : a is null ? "removed" : "changed";
            var ids = (a is null ? [] : touchedBy(a)).Except(b is null ? [] : touchedBy(b)).ToList();
            changes.Add(new Change(section, label((a ?? b)!), kind, bn, an, ids));
        }
    }

    private static JsonNode? Node<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.SerializeToNode(value, LedgerHttp.AnswerOptions);
}

public static class GetDiff
{
    [WolverineGet("/api/relations/{pair}/diff")]
    public static async Task<IResult> Get(string pair, string? from, string? to, string? knownAt, string? basis, HttpRequest request, IQuerySession session, HistoryCache histories, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p)) return LedgerResults.BadPair(pair);
        var problems = new Problems();
        var d1 = Reading.ParseDate(from, "from", problems);
        var d2 = Reading.ParseDate(to, "to", problems);
        if (d1 is null && !problems.ContainsKey("from")) problems.Add("from", "Required: YYYY-MM-DD.");
        if (d2 is null && !problems.ContainsKey("to")) problems.Add("to", "Required: YYYY-MM-DD.");
        Reading.CheckPeriod(d1, d2, problems);
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        var foldable = await Reading.FoldableAsync(session, histories, p, knowledge, ct);
        if (ReadCache.NotModified(request.HttpContext, ReadCache.Tag(request, foldable.Basis.Sequence), foldable.Fixed))
            return ReadCache.Unchanged;
        var changes = RelationshipDiff.Between(foldable.StateAt(d1!.Value), foldable.StateAt(d2!.Value));
        return TypedResults.Ok(new DiffView(p.Id, d1.Value, d2.Value, foldable.Basis, changes));
    }
}
