using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

public sealed record StateView(
    string Pair, DateOnly AsOf, DateTimeOffset? KnownAt, ReadBasis Basis,
    IEnumerable<Embassy> Embassies, IEnumerable<Ambassador> Ambassadors, IEnumerable<Sanction> Sanctions,
    PrisonerTally PrisonersReleased, Contact? LastContact, int EventCount, Occurrence? LastEventOn)
{
    /// <summary>Each row names at most this many of the events that shaped it, the latest ones: a row's whole history
    /// is the timeline's (paged) business, and a snapshot's size stays bounded by its rows, not by the pair's age.</summary>
    public const int EventIdsPerRow = 5;

    /// <param name="knownAt">the instant the answer is as known at: the one asked for, now, or for a read pinned by a
    /// basis when its newest event was recorded (null: none by then) — so that the pinned answer is the same bytes every time</param>
    public static StateView Of(Pair pair, DateOnly asOf, DateTimeOffset? knownAt, ReadBasis basis, RelationshipState s) => new(
        pair.Id, asOf, knownAt, basis,
        s.Embassies.Values.Select(e => e with { EventIds = e.EventIds.Latest(EventIdsPerRow) }),
        s.Ambassadors.Values.Select(a => a with { EventIds = a.EventIds.Latest(EventIdsPerRow) }),
        s.Sanctions.Values.Select(x => x with { EventIds = x.EventIds.Latest(EventIdsPerRow) }),
        s.PrisonersReleased with { EventIds = s.PrisonersReleased.EventIds.Latest(EventIdsPerRow) }, s.LastContact, s.EventCount, s.LastEventOn);
}

public static class GetState
{
    /// <summary>The relationship as of a date (default today), as it was known at an instant (default now) or at a basis sequence.</summary>
    [WolverineGet("/api/relations/{pair}/state")]
    public static async Task<IResult> Get(string pair, string? asOf, string? knownAt, string? basis, HttpContext context, IQuerySession session, ReadReplica replica, HistoryCache histories, TimeProvider clock, LedgerMetrics metrics, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p)) return LedgerResults.BadPair(pair);
        var started = clock.GetTimestamp();
        var problems = new Problems();
        var date = Reading.ParseDate(asOf, "asOf", problems) ?? clock.Today();
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        if (knowledge == Knowledge.Latest)
        {
            var stream = await session.Events.FetchStreamStateAsync(p.Id, ct);
            if (ReadCache.NotModified(context, ReadCache.Tag(context.Request, date, stream?.Version ?? 0), immutable: false)) return ReadCache.Unchanged;
            var history = await histories.LatestAsync(session, p, stream, ct);
            var latest = history.StateAt(date);
            metrics.AsOfRead(clock.GetElapsedTime(started));
            return LedgerResults.Json(StateView.Of(p, date, clock.GetUtcNow(), ReadBasis.At(history.Last), latest));
        }
        Foldable? foldable = null;
        bool? settled = null;
        if (knowledge.Basis is { } pinnedBasis)
        {
            // settled on the primary before the replica is judged by what the primary has of the pair
            settled = await RecordedHorizon.Of(session.DocumentStore).SettleAsync(pinnedBasis, ct);
            var (source, owned, name) = await replica.ForPinnedAsync(session, p, pinnedBasis, ct);
            context.Response.Headers["X-Read-Source"] = name;
            if (owned)
                await using (source) foldable = new Foldable(await Reading.LoadAsync(source, p, knowledge, ct), null, settled.Value);
        }
        // on the primary, a pinned read too: the pair's cached histories (a long pair read whole from the table and
        // folded took 0.5–0.7 s for every pinned read)
        foldable ??= await Reading.FoldableAsync(session, histories, p, knowledge, ct, settled);
        var basisRead = foldable.Basis;
        var pinned = asOf is not null && foldable.Fixed;
        if (ReadCache.NotModified(context, ReadCache.Tag(context.Request, date, basisRead.Sequence), pinned)) return ReadCache.Unchanged;
        var state = foldable.StateAt(date);
        metrics.AsOfRead(clock.GetElapsedTime(started));
        return LedgerResults.Json(StateView.Of(p, date, knowledge.Basis is null ? knowledge.KnownAt : basisRead.RecordedAt, basisRead, state));
    }
}
