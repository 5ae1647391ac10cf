using System.Globalization;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Projections;
using RelationsLedger.Relations.Recording;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

/// <summary>A fact as a timeline lists it: as now corrected, its flags, and when and by whom it was first recorded
/// (<see cref="RecordedBy"/>: an API key's name, a seed file, <c>import</c>; null for an event stored without one).</summary>
public sealed record TimelineItem(
    Guid EventId, string Type, Occurrence OccurredOn, string Summary, System.Text.Json.JsonElement Data, IReadOnlyList<Source> Sources,
    IReadOnlyList<Guid> RelatedEventIds, long Sequence, DateTimeOffset RecordedAt, string? RecordedBy, bool Corrected, bool Disputed, bool Retracted)
{
    public static TimelineItem Of(ResolvedEvent e, string? recordedBy) => Of(e.Event, e.Recorded, recordedBy, e.Corrected, e.Disputed, e.Retracted);

    /// <summary>A row's item: its own body if it keeps one (a corrected fact), else <paramref name="stored"/>'s; the
    /// recorded time is always the stored event's.</summary>
    public static TimelineItem Of(TimelineEntry row, RecordedEvent? stored, string? recordedBy)
    {
        if (stored is null) throw new InvalidOperationException($"The event of timeline row {row.Id} (sequence {row.Sequence}) is not in the event table.");
        return row.HasBody
            ? new(row.Id, row.Type, row.OccurredOn!.Value, row.Summary!, row.Data!.Element, row.Sources ?? [], row.RelatedEventIds ?? [],
                row.Sequence, stored.RecordedAt, recordedBy, row.Corrected, row.Disputed, row.Retracted)
            : Of(stored.Event, stored, recordedBy, row.Corrected, row.Disputed, row.Retracted);
    }

    private static TimelineItem Of(LedgerEvent e, RecordedEvent recorded, string? recordedBy, bool corrected, bool disputed, bool retracted) => new(
        e.Id, e.GetType().Name, e.OccurredOn, e.Summary, EventCatalog.DataElementOf(e), e.Sources, e.RelatedEventIds,
        recorded.Sequence, recorded.RecordedAt, recordedBy, corrected, disputed, retracted);
}

public sealed record TimelinePage(string Pair, IReadOnlyList<TimelineItem> Events, string? Next);

public static class GetTimeline
{
    public const int DefaultLimit = 1000, MaxLimit = 10_000;

    /// <summary>A pair's events in date order (corrections applied, flags set). Without knownAt/basis it reads the
    /// timeline read model; with them it resolves the stream as it was known then (the pair's cached history, the
    /// page's events read whole). <c>q</c> screens the events' text (<see cref="WordScreen"/>): the pair's events are then
    /// read whole, as known at the same point, and the page is taken from those that match.</summary>
    [WolverineGet("/api/relations/{pair}/timeline")]
    public static async Task<IResult> Get(
        string pair, string? from, string? to, string? types, string? knownAt, string? basis, string? includeRetracted,
        string? limit, string? after, string? q, string? match, string? format, HttpRequest request, IQuerySession session, HistoryCache histories, SearchMatches searches,
        CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p)) return LedgerResults.BadPair(pair);
        var problems = new Problems();
        var (fromGiven, toGiven) = (Reading.ParseDate(from, "from", problems), Reading.ParseDate(to, "to", problems));
        Reading.CheckPeriod(fromGiven, toGiven, problems);
        var (fromDate, toDate) = (fromGiven ?? DateOnly.MinValue, toGiven ?? DateOnly.MaxValue);
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        var typeNames = ParseTypes(types, problems);
        // "?includeRetracted" alone asks for them too
        var withRetracted = includeRetracted is "";
        if (includeRetracted is { Length: > 0 } && !bool.TryParse(includeRetracted, out withRetracted))
            problems.Add("includeRetracted", "Must be true or false.");
        var size = DefaultLimit;
        if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size is >= 1 and <= MaxLimit))
            problems.Add("limit", $"Must be a whole number from 1 to {MaxLimit}.");
        var cursor = ParseCursor(after, problems);
        var csv = Reading.ParseChoice<AnswerFormat>(format, "format", problems) == AnswerFormat.Csv;
        var similar = Reading.ParseChoice<WordMatch>(match, "match", problems) == WordMatch.Similar;
        var screen = WordScreen.Parse(q, "q", problems, "words of an event's summary, data or sources", similar);
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        List<TimelineItem>? items = null;
        // the basis the next pages are pinned to, when this one is read as the pair is now
        long? pinned = null;
        var context = request.HttpContext;
        if (knowledge == Knowledge.Latest && screen is null)
        {
            var version = (await session.Events.FetchStreamStateAsync(p.Id, ct))?.Version ?? 0;
            if (ReadCache.NotModified(context, ReadCache.Tag(request, version), immutable: false)) return ReadCache.Unchanged;
            var query = session.Query<TimelineEntry>().Where(x => x.Pair == p.Id && x.Effective >= fromDate && x.Effective <= toDate);
            if (typeNames.Length > 0) query = query.Where(x => x.Type.IsOneOf(typeNames));
            if (!withRetracted) query = query.Where(x => !x.Retracted);
            if (cursor is var (d, s)) query = query.Where(x => x.Effective > d || (x.Effective == d && x.Sequence > s));
            for (var attempt = 1; items is null; attempt++)
            {
                var rows = (await query.OrderBy(x => x.Effective).ThenBy(x => x.Sequence).Take(size + 1).ToListAsync(ct)).ToList();
                if (rows.Count > size)
                {
                    // the next pages are pinned to the pair's newest event, read after this page: if the pair moved on
                    // since its version was read, an event recorded in between would be in the basis and not on this
                    // page, and the next pages, after its cursor, would skip it. Read again; a pair written faster
                    // than a page is read is read as known at the basis instead
                    var (last, at) = await Reading.NewestAsync(session, p, ct);
                    pinned = last;
                    if (at != version)
                    {
                        version = at;
                        if (attempt < 3) continue;
                        knowledge = new Knowledge(null, last);
                        break;
                    }
                }
                // a corrected fact's row keeps its body, but its recorded time is the stored event's
                var writers = new Dictionary<Guid, string>();
                var stored = (await EventRows.Of(session.DocumentStore).AtSequencesAsync(session, [.. rows.Select(r => r.Sequence)], ct, writers)).ToDictionary(e => e.Sequence);
                items = rows.Select(r => TimelineItem.Of(r, stored.GetValueOrDefault(r.Sequence), writers.GetValueOrDefault(r.Id))).ToList();
            }
        }
        if (items is null)
        {
            // the page is found in the pair's cached history (lean: what ordering and flags need), then its facts are
            // resolved again from their whole events and provenance, as known at the same point
            var foldable = await Reading.FoldableAsync(session, histories, p, knowledge, ct);
            var newest = foldable.Basis.Sequence;
            if (pinned is null && ReadCache.NotModified(context, ReadCache.Tag(request, newest), foldable.Fixed)) return ReadCache.Unchanged;
            if (knowledge == Knowledge.Latest) pinned = newest;
            bool Listed(ResolvedEvent x) => x.Effective >= fromDate && x.Effective <= toDate
                && (typeNames.Length == 0 || typeNames.Contains(x.Event.GetType().Name)) && (withRetracted || !x.Retracted)
                && (cursor is not var (d, s) || x.Effective > d || (x.Effective == d && x.Sequence > s));
            var listed = foldable.Resolved().Where(Listed);
            if (screen is not null)
            {
                // the cached history keeps no summaries nor sources: a search reads the pair's whole events first, once
                // for all its pages (their links pin this basis)
                var matched = await searches.GetOrFindAsync(new SearchMatches.Key(p.Id, newest, knowledge.KnownAt, screen.Key),
                    () => MatchingAsync(session, p, knowledge, newest, foldable.Resolved(), screen, ct));
                listed = listed.Where(x => matched.Contains(x.Event.Id));
            }
            var page = listed.Take(size + 1).ToList();
            var writers = new Dictionary<Guid, string>();
            var whole = Provenance.Resolver.Of((await WholeAsync(session, p, page, writers, ct)).Where(e => e.Sequence <= newest && knowledge.Includes(e)));
            items = page.Select(x => TimelineItem.Of(whole.Fact(x.Event.Id)!, writers.GetValueOrDefault(x.Event.Id))).ToList();
        }

        string? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            var last = items[^1];
            List<(string, string)> nextCursor = [("after", $"{last.OccurredOn.Start:yyyy-MM-dd}~{last.Sequence}")];
            // the next pages read the pair as this one did: a correction moving a date across the cursor, or a backdated
            // fact before it, recorded between two pages, would repeat an event or skip one
            if (pinned is not null) nextCursor.Add(("basis", pinned.Value.ToString(CultureInfo.InvariantCulture)));
            next = Reading.NextLink(request, nextCursor);
        }
        if (!csv) return TypedResults.Ok(new TimelinePage(p.Id, items, next));
        // a spreadsheet of the page; the next page is a link header (RFC 8288), as JSON's is a field
        Csv.Download(context.Response, $"timeline-{p.Id}.csv");
        if (next is not null) context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        return Results.Text(string.Concat(items.Select(CsvLine).Prepend(Csv.Header(CsvColumns))), Csv.ContentType);
    }

    private static readonly string[] CsvColumns =
        ["occurredOn", "type", "summary", "data", "sources", "relatedEventIds", "eventId", "sequence", "corrected", "disputed", "retracted", "recordedAt", "recordedBy"];

    /// <summary>An item as a CSV line: its data as JSON, each source as "outlet, title, published on, url", lists joined by
    /// "; ". The recorded columns come last, after those a saved spreadsheet already has.</summary>
    private static string CsvLine(TimelineItem e) => Csv.Line([
        e.OccurredOn.ToString(), e.Type, e.Summary, e.Data.GetRawText(),
        string.Join("; ", e.Sources.Select(s => string.Join(", ", new[] { s.Outlet, s.Title, s.PublishedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), s.Url }.OfType<string>()))),
        string.Join("; ", e.RelatedEventIds), e.EventId.ToString(), e.Sequence.ToString(CultureInfo.InvariantCulture),
        Flag(e.Corrected), Flag(e.Disputed), Flag(e.Retracted), Instant(e.RecordedAt), e.RecordedBy ?? ""]);

    /// <summary>An instant as the JSON answers write it, so a CSV's recorded time can be pasted as a <c>knownAt</c>.</summary>
    private static string Instant(DateTimeOffset at) => System.Text.Json.JsonSerializer.Serialize(at, LedgerJson.Options)[1..^1];

    private static string Flag(bool value) => value ? "true" : "false";

    /// <summary>The ids of the facts (<paramref name="resolved"/>) whose text, as known at the same point, holds every
    /// word of <paramref name="screen"/>. The pair's rows are read once and screened as they come, a row deserialized
    /// only when its JSON may match (<see cref="WordScreen.MayMatch"/>: 83 → 31 ms on 10,000 events), none kept but the
    /// ids that match. A corrected fact's text is the corrected one: the facts the history knows corrected are read
    /// with their corrections by sequence once the scan is done, so whole events are held for that moment only (held
    /// through the scan, they outlived the collections and left the heap larger after a run of searches).</summary>
    private static async Task<HashSet<Guid>> MatchingAsync(IQuerySession session, Pair pair, Knowledge knowledge, long newest,
        IEnumerable<ResolvedEvent> resolved, WordScreen screen, CancellationToken ct)
    {
        var corrected = resolved.Where(x => x.Corrected).ToList();
        var correctedAt = corrected.Select(x => x.Sequence).ToHashSet();
        var matched = new HashSet<Guid>();
        var rows = EventRows.Of(session.DocumentStore);
        bool Wanted(string type, long sequence, ReadOnlySpan<byte> json) =>
            !correctedAt.Contains(sequence) && !rows.IsProvenance(type) && screen.MayMatch(json);
        await foreach (var e in rows.ReadAsync(session, rows.StreamCommand(pair.Id, afterVersion: 0, recordedBy: knowledge.KnownAt, basis: knowledge.Basis), Wanted, ct))
            if (e.Sequence <= newest && knowledge.Includes(e) && screen.Matches(WordScreen.TextOf(e.Event))) matched.Add(e.Event.Id);
        if (corrected.Count == 0) return matched;
        var revising = await rows.AtSequencesAsync(session, [.. corrected.SelectMany(x => x.Corrections.Select(c => c.Sequence).Prepend(x.Sequence))], ct);
        revising.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        var resolver = Provenance.Resolver.Of(revising);
        foreach (var x in corrected)
            if (resolver.Fact(x.Event.Id) is { } fact && screen.Matches(WordScreen.TextOf(fact.Event))) matched.Add(x.Event.Id);
        return matched;
    }

    /// <summary>A page's facts read whole, in sequence order: those no provenance revised by their sequence (the event
    /// table's key), the others with the provenance that bears on them, which walks the pair's rows (30 ms on a pair of
    /// 100,000; every page did so), and who recorded each into <paramref name="writers"/>.</summary>
    private static async Task<List<RecordedEvent>> WholeAsync(IQuerySession session, Pair pair, List<ResolvedEvent> page, Dictionary<Guid, string> writers, CancellationToken ct)
    {
        static bool Revised(ResolvedEvent x) => x.Revisions is not { Corrections.Count: 0, Citations.Count: 0, Retraction: null };
        var rows = EventRows.Of(session.DocumentStore);
        var read = await rows.AtSequencesAsync(session, [.. page.Where(x => !Revised(x)).Select(x => x.Sequence)], ct, writers);
        if (page.Where(Revised).Select(x => x.Event.Id).ToHashSet() is { Count: > 0 } revised)
            read.AddRange((await rows.BearingAsync(session, pair.Id, revised, ct, writers)).Events);
        read.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return read;
    }

    /// <summary>The types a timeline lists: facts. Corrections, retractions and citations are applied to the facts they
    /// name, never rows of their own, so filtering by one would always answer nothing.</summary>
    private static readonly string Listed = "A timeline lists: " + string.Join(", ", EventCatalog.All.Where(t => !t.IsProvenance).Select(t => t.Name)) + ".";

    /// <summary>The catalog's names of the types asked for, which may be given in any case.</summary>
    private static string[] ParseTypes(string? types, Problems problems)
    {
        var names = Reading.ParseTypes(types, problems, (type, name) => type.IsProvenance
            ? $"'{name}' is not listed in a timeline: corrections, retractions and citations are applied to the events they name (their corrected, retracted and disputed flags)."
            : null);
        if (problems.ContainsKey("types")) problems.Add("types", Listed);
        return [.. names.Select(t => t.Name)];
    }

    private static (DateOnly, long)? ParseCursor(string? after, Problems problems)
    {
        if (string.IsNullOrEmpty(after)) return null;
        var parts = after.Split('~');
        if (parts.Length == 2 && DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s)) return (d, s);
        problems.Add("after", "Not a cursor from a previous page's 'next' link.");
        return null;
    }
}
