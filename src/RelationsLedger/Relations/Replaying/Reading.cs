using System.Globalization;
using Marten;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Relations.Replaying;

/// <summary>What was known: events recorded at or before <see cref="KnownAt"/>, or with sequence ≤ <see cref="Basis"/>.</summary>
public sealed record Knowledge(DateTimeOffset? KnownAt, long? Basis)
{
    public static readonly Knowledge Latest = new(null, null);

    public bool Includes(RecordedEvent e) =>
        (KnownAt is null || e.RecordedAt <= KnownAt) && (Basis is null || e.Sequence <= Basis);
}

/// <summary>The point a read was computed at: the newest event it included, and the pair's stream version there
/// (what a writer passes as expectedVersion).</summary>
public sealed record ReadBasis(long Sequence, DateTimeOffset? RecordedAt, long Version)
{
    public static ReadBasis Of(IReadOnlyList<RecordedEvent> known) => At(known.MaxBy(e => e.Sequence));

    /// <summary>The basis of a read whose newest event is <paramref name="last"/> (none: an empty pair).</summary>
    public static ReadBasis At(RecordedEvent? last) => last is null ? new ReadBasis(0, null, 0) : new ReadBasis(last.Sequence, last.RecordedAt, last.Version);
}

public static partial class Reading
{
    /// <summary>Every event the ledger recorded, across pairs; Marten's tombstones (left by failed appends) are not events.</summary>
    public static IQueryable<JasperFx.Events.IEvent> AllRecorded(IQuerySession session) =>
        session.Events.QueryAllRawEvents().Where(e => e.EventTypeName != EventRows.Tombstone);

    /// <summary>Which of these event ids are recorded (any pair): plain SQL on the unique event-id index, because
    /// Marten's LINQ compiles the id list into the query on every call.</summary>
    public static async Task<IReadOnlyList<Guid>> RecordedIdsAsync(IQuerySession session, Guid[] ids, CancellationToken ct) =>
        ids.Length == 0 ? [] : await session.QueryAsync<Guid>(
            $"select id from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events where id = any(?)", ct, ids);

    /// <summary>The newest sequence in the pair's stream: appends to one pair are serialized by its version, so no
    /// event of this pair can later appear at or below it (and the newest version holds the newest sequence, which the
    /// stream-and-version index finds in one step).</summary>
    public static async Task<long> LastSequenceAsync(IQuerySession session, Pair pair, CancellationToken ct) =>
        (await NewestAsync(session, pair, ct)).Sequence;

    /// <summary>The pair's newest sequence and its version (0 and 0 for a pair with no events), read together.</summary>
    public static async Task<(long Sequence, long Version)> NewestAsync(IQuerySession session, Pair pair, CancellationToken ct)
    {
        await using var command = new Npgsql.NpgsqlCommand(NewestSql(session, "seq_id, version", "$1")) { Parameters = { new() { Value = pair.Id } } };
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    /// <summary><see cref="LastSequenceAsync"/>'s query, the pair's id its one parameter (<c>?</c>), for a statement
    /// that compares with it.</summary>
    public static string LastSequenceSql(IQuerySession session) => NewestSql(session, "seq_id", "?");

    /// <summary><paramref name="columns"/> of the pair's newest event, the pair's id given as <paramref name="pair"/> (a
    /// parameter, or a column of an outer query).</summary>
    internal static string NewestSql(IQuerySession session, string columns, string pair) =>
        $"select {columns} from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events where stream_id = {pair} order by version desc limit 1";

    /// <summary>Step 1 of every read: the pair's events, as known at the requested moment, whole (sources, summaries,
    /// related ids), read straight from the table (<see cref="EventRows"/>: Marten's own stream read wraps every event
    /// and reads its headers, and took 1.2 s for a pair of 100,000 events).</summary>
    /// <param name="lean">read as the fold needs them (<see cref="HistoryCache.Lean"/>), for a read that only folds
    /// but would not keep the pair's history (the register, which folds every pair)</param>
    /// <param name="types">only events of these types (all when null)</param>
    /// <remarks>The caller settles the moment first (<see cref="RecordedHorizon.SettleAsync(DateTimeOffset?, long?, CancellationToken)"/>),
    /// once for all the pairs it reads: a basis not drawn yet costs a lookup each time it is settled.</remarks>
    public static async Task<IReadOnlyList<RecordedEvent>> LoadAsync(IQuerySession session, Pair pair, Knowledge knowledge, CancellationToken ct, bool lean = false,
        IEnumerable<Type>? types = null)
    {
        var rows = EventRows.Of(session.DocumentStore);
        var known = new List<RecordedEvent>();
        // the database leaves out what was not known: a register as known mid-way through a ledger reads half of it
        await foreach (var e in rows.ReadAsync(session, rows.StreamCommand(pair.Id, afterVersion: 0, types, knowledge.KnownAt, knowledge.Basis), ct, lean))
            if (knowledge.Includes(e)) known.Add(e);
        return known;
    }

    /// <summary>Step 1 of the reads that only fold (state, diff, chart series, the timeline's ordering): the pair's
    /// events as known at the requested moment, from its newest cached history — lean, as the fold reads them — so a
    /// long pair is not read again for every date the dashboard's slider asks at one knownAt. A moment that knew every
    /// event of the history (the pair has recorded nothing since) is answered as the newest knowledge is, from the
    /// history's checkpoints; an earlier one from the history of what it knew (<see cref="HistoryCache.AsKnown"/>).</summary>
    /// <param name="settled">whether the moment is settled, when the caller has settled it already</param>
    public static async Task<Foldable> FoldableAsync(IQuerySession session, HistoryCache histories, Pair pair, Knowledge knowledge, CancellationToken ct, bool? settled = null)
    {
        var fixedKnowledge = settled ?? await RecordedHorizon.Of(session.DocumentStore).SettleAsync(knowledge.KnownAt, knowledge.Basis, ct);
        var history = await histories.LatestAsync(session, pair, await session.Events.FetchStreamStateAsync(pair.Id, ct), ct);
        if (!history.KnewAll(knowledge)) history = histories.AsKnown(pair, history, knowledge);
        return new Foldable(history.Recorded, history, fixedKnowledge);
    }

    /// <summary>The link to the next page: this request's path and query with <paramref name="cursor"/> first, in place
    /// of the request's own values of those names and of <paramref name="replaced"/>.</summary>
    public static string NextLink(HttpRequest request, IEnumerable<(string Name, string Value)> cursor, params string[] replaced)
    {
        var parts = cursor.Select(c => $"{Uri.EscapeDataString(c.Name)}={Uri.EscapeDataString(c.Value)}").ToList();
        var dropped = cursor.Select(c => c.Name).Concat(replaced).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // the request's other parameters exactly as sent: decoded and encoded again, a sequence that is not UTF-8 (which
        // the request's own reading kept as typed) would come back as another text
        foreach (var part in (request.QueryString.Value ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            if (!dropped.Contains(Uri.UnescapeDataString(part.Split('=')[0].Replace('+', ' ')))) parts.Add(part);
        return $"{request.Path}?{string.Join('&', parts)}";
    }

    /// <summary>The event types a query's <c>types</c> names: comma-separated, in any case, each once. A name the catalog
    /// does not hold is a problem, and so is one <paramref name="refused"/> gives a reason for (the type, the name as typed).</summary>
    public static List<EventType> ParseTypes(string? types, Problems problems, Func<EventType, string, string?>? refused = null)
    {
        var asked = new List<EventType>();
        foreach (var name in (types ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase))
            if (!EventCatalog.ByNameInAnyCase.TryGetValue(name, out var type)) problems.Add("types", $"Unknown event type '{name}'.");
            else if (refused?.Invoke(type, name) is { } why) problems.Add("types", why);
            else asked.Add(type);
        return asked;
    }

    public static DateOnly? ParseDate(string? text, string field, Problems problems)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
        problems.Add(field, "Must be a date, YYYY-MM-DD.");
        return null;
    }

    /// <summary>One of an enum's names, in any case (the documented form is lower case); null when not given. Only a
    /// name: <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/> also takes numbers and lists ("eased,lifted" is
    /// Expired).</summary>
    public static T? ParseChoice<T>(string? text, string field, Problems problems) where T : struct, Enum
    {
        if (text is null) return null;
        foreach (var value in Enum.GetValues<T>())
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase)) return value;
        problems.Add(field, $"Must be one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return null;
    }

    /// <summary>A period that ends before it starts is a mistake in the query, not an empty answer.</summary>
    public static void CheckPeriod(DateOnly? from, DateOnly? to, Problems problems)
    {
        if (from > to) problems.Add("to", "Must not be before 'from'.");
    }

    /// <summary>An ISO 8601 date, or date and time (seconds and fraction optional) with an optional offset — UTC when
    /// none: the forms a client sends, and not the culture's other forms ("1/2/2025", "1.5") that parse as instants too.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:?\d{2})?)?\z")]
    private static partial System.Text.RegularExpressions.Regex IsoInstant();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?) (\d{2}:?\d{2})\z")]
    private static partial System.Text.RegularExpressions.Regex SpacedOffset();

    /// <param name="knownAtName">what the caller calls knownAt: the query's name, or a verb's flag</param>
    public static Knowledge ParseKnowledge(string? knownAt, string? basis, Problems problems, string knownAtName = "knownAt")
    {
        DateTimeOffset? at = null;
        long? sequence = null;
        if (!string.IsNullOrWhiteSpace(knownAt))
        {
            // a query string decodes "+" as a space: "…T08:00:00 00:00" is the "+00:00" of a pasted recordedAt
            knownAt = SpacedOffset().Replace(knownAt, "$1+$2");
            if (IsoInstant().IsMatch(knownAt) && DateTimeOffset.TryParse(knownAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)) at = parsed;
            else problems.Add(knownAtName, "Must be an ISO 8601 instant, e.g. 2025-09-12T08:00:00Z.");
        }
        if (!string.IsNullOrWhiteSpace(basis))
        {
            if (long.TryParse(basis, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) sequence = n;
            else problems.Add("basis", "Must be an event sequence number (a whole number ≥ 0).");
        }
        if (at is not null && sequence is not null) problems.Add("basis", "Give knownAt or basis, not both.");
        return new Knowledge(at, sequence);
    }
}

/// <summary>A pair's events as known at a moment, and, when they came from the history cache
/// (<see cref="Reading.FoldableAsync"/>), the cached history of exactly them, whose resolution and checkpoints are kept with it.</summary>
/// <param name="Fixed">the moment was settled before they were read (<see cref="RecordedHorizon"/>): no event can
/// join them later, so a read pinned by it is the same answer for ever</param>
public sealed record Foldable(IReadOnlyList<RecordedEvent> Known, CheckpointedHistory? History, bool Fixed)
{
    /// <summary>Step 2: the history's own resolution (the same order, property-tested), or the known events resolved.</summary>
    public IReadOnlyList<ResolvedEvent> Resolved() => History?.Resolved ?? Provenance.Resolve(Known);

    /// <summary>The newest event known: the history's last (found without walking a long pair's events, which took
    /// 6 ms at 100,000).</summary>
    public ReadBasis Basis => History is { } history ? ReadBasis.At(history.Last) : ReadBasis.Of(Known);

    /// <summary>Step 3: the state at <paramref name="date"/>, from the history's checkpoints (equal to the full fold,
    /// property-tested) or folded from what was known.</summary>
    public RelationshipState StateAt(DateOnly date) => History?.StateAt(date) ?? RelationshipState.Fold(Resolved(), date);
}
