using Marten;

namespace RelationsLedger.Relations.Recording;

/// <summary>What a client is told for each appended event: <see cref="RecordedAt"/> is the store's own timestamp, the
/// value that <c>knownAt</c> compares against.</summary>
public sealed record Appended(Guid EventId, string Pair, long Version, long Sequence, DateTimeOffset RecordedAt);

public abstract record AppendOutcome
{
    public sealed record Done(IReadOnlyList<Appended> Events, bool Replayed) : AppendOutcome;
    public sealed record Rejected(Problems Problems) : AppendOutcome;
    public sealed record Conflict(string Detail) : AppendOutcome
    {
        public const string IdTaken = "An event with this eventId was already recorded with a different body (or pair).";

        /// <summary>A request that repeats some recorded events beside new ones: not a retry of one request.</summary>
        public static string PartlyRecorded(IEnumerable<Guid> ids) =>
            $"Some of these events were already recorded by an earlier request ({string.Join(", ", ids)}), the others not: a retry repeats its request exactly; send the new events without them.";
    }
}

/// <summary>The one way events enter a pair's stream (HTTP, batch, import, seeds): idempotency by event id,
/// provenance checked against what the stream holds, optimistic concurrency by stream version, then one
/// <see cref="StreamWriter"/> transaction; every committed event is counted by type.</summary>
public sealed class Appending(IDocumentStore store, StreamWriter writer, Platform.LedgerMetrics metrics)
{
    public IDocumentStore Store => store;

    /// <summary>The ids of <paramref name="events"/> recorded in <paramref name="pair"/> exactly as given (an import's
    /// lines already present).</summary>
    public async Task<IReadOnlySet<Guid>> RecordedAsGivenAsync(Pair pair, IReadOnlyList<LedgerEvent> events) =>
        (await writer.StoredAsSentAsync(pair, events)).Keys.ToHashSet();

    /// <summary>Each id given again after its first item, named where it stands: the later copy is the mistake.</summary>
    public static void AddRepeatedIds(IReadOnlyList<Guid?> ids, Func<int, string> itemPath, Problems problems)
    {
        var firsts = new Dictionary<Guid, int>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
            if (ids[i] is { } id && !firsts.TryAdd(id, i))
                problems.Add(itemPath(i) + "eventId",
                    $"The same eventId as {(itemPath(firsts[id]) is { Length: > 0 } at ? $"item {at.TrimEnd('.')}" : "an earlier event")}: give each event its own.");
    }

    public async Task<AppendOutcome> AppendAsync(
        Pair pair, IReadOnlyList<Submission> items, long? expectedVersion, DateOnly today, Stamp stamp,
        CancellationToken ct, Func<int, string>? itemPath = null, ImportedPair? imported = null)
    {
        itemPath ??= _ => "";
        var ids = items.Select(i => i.Event.Id).ToList();
        var problems = new Problems();
        AddRepeatedIds([.. ids.Select(id => (Guid?)id)], itemPath, problems);
        if (problems.Count > 0) return new AppendOutcome.Rejected(problems);

        await using var session = store.QuerySession();
        // only an id the client chose can have been recorded before (an importer passes only ids it found unrecorded)
        var known = imported is not null ? [] : await Replaying.Reading.RecordedIdsAsync(session, items.Where(i => i.ClientChoseId).Select(i => i.Event.Id).ToArray(), ct);
        if (known.Count > 0) return await ReplayAsync(pair, items) ?? await TakenAsync(pair, items, known);

        // what the items point at, and what bears on it: an import keeps its pair's whole stream from one transaction
        // to the next; any other write reads just those events
        IReadOnlyList<RecordedEvent>? stream = null;
        var storedVersion = 0L;
        var referenced = Referenced(items);
        if (referenced.Count > 0)
        {
            if (imported is null) (storedVersion, stream) = await EventRows.Of(store).BearingAsync(session, pair.Id, referenced, ct);
            else
            {
                stream = imported.Know(imported is { Version: >= 0 } && imported.Version == ((await session.Events.FetchStreamStateAsync(pair.Id, ct))?.Version ?? 0)
                    ? imported.Events
                    : (await session.Events.FetchStreamAsync(pair.Id, token: ct)).Select(e => RecordedEvent.From(e)).ToList());
                storedVersion = imported.Version;
            }
            CheckReferences(stream, referenced, items, today, problems, itemPath);
            if (problems.Count > 0) return await ReplayAsync(pair, items) ?? new AppendOutcome.Rejected(problems);
        }

        // the writer re-checks the version under the stream's row lock, so a racing writer still gets a 409, and the
        // references too when the stream moved on meanwhile, so a racing retraction still makes a correction a 400
        var recheck = referenced.Count == 0 ? null : new StreamWriter.Recheck(referenced, bearing =>
        {
            var again = new Problems();
            CheckReferences(bearing, referenced, items, today, again, itemPath);
            return again.Count > 0 ? again : null;
        });
        IReadOnlyList<Appended>? appended;
        string? conflict;
        try { (appended, conflict) = await writer.WriteAsync(pair, items.Select(i => i.Event).ToList(), expectedVersion, stamp, stream, storedVersion, recheck); }
        catch (StreamWriter.WriteRejected rejected) { return await ReplayAsync(pair, items) ?? new AppendOutcome.Rejected(rejected.Problems); }
        // an id taken meanwhile: by a racing copy of some of these events (the writer answers a copy of all of them)?
        if (appended is null)
            return conflict == AppendOutcome.Conflict.IdTaken && items.Count > 1
                ? await TakenAsync(pair, items, await Replaying.Reading.RecordedIdsAsync(session, [.. ids], ct))
                : new AppendOutcome.Conflict(conflict!);
        foreach (var item in items) metrics.Appended(item.Event.GetType().Name);
        imported?.Wrote(items, appended);
        return new AppendOutcome.Done(appended, Replayed: false);
    }

    /// <summary>A restore's transaction (<see cref="StreamWriter.RestoreAsync"/>): its events were checked, file-wide, as
    /// an import's are. Answers a conflict when a pair has moved on; throws when the transaction fails.</summary>
    public async Task<string?> RestoreAsync(IReadOnlyList<RestoredWrite> writes, IReadOnlyList<(long From, long To)> gaps)
    {
        if (await writer.RestoreAsync(writes, gaps) is { } conflict) return conflict;
        foreach (var e in writes.SelectMany(w => w.Events)) metrics.Appended(e.Event.GetType().Name);
        return null;
    }

    /// <summary>An import's check of a pair's lines not yet recorded, all of them, before any is written: provenance and
    /// related ids against what is stored and the lines before, as each run's append will check them — so a file that
    /// corrects a fact it retracted earlier appends nothing, instead of its runs up to that line.</summary>
    public async Task<Problems> CheckLinesAsync(Pair pair, IReadOnlyList<Submission> items, DateOnly today, Func<int, string> itemPath, CancellationToken ct, bool asRecorded = false)
    {
        var problems = new Problems();
        var referenced = Referenced(items);
        if (referenced.Count == 0) return problems;
        await using var session = store.QuerySession();
        var (_, stream) = await EventRows.Of(store).BearingAsync(session, pair.Id, referenced, ct);
        CheckReferences(stream, referenced, items, today, problems, itemPath, asRecorded);
        return problems;
    }

    /// <summary>The stored receipts when every item is already recorded with this body: a retry, or a request whose
    /// references failed because a copy of it, racing it, was recorded first (a retraction finds its fact retracted —
    /// by itself). Only ids the client chose can be recorded already.</summary>
    private async Task<AppendOutcome?> ReplayAsync(Pair pair, IReadOnlyList<Submission> items) =>
        items.All(i => i.ClientChoseId) && await writer.StoredAsync(pair, [.. items.Select(i => i.Event)]) is { } receipts
            ? new AppendOutcome.Done(receipts, Replayed: true)
            : null;

    /// <summary>The conflict of a request some of whose ids (<paramref name="known"/>) are recorded, not all with its
    /// bodies: those recorded as sent beside new ones are a new request that repeats them, not another body.</summary>
    private async Task<AppendOutcome> TakenAsync(Pair pair, IReadOnlyList<Submission> items, IReadOnlyList<Guid> known)
    {
        var recorded = items.Where(i => known.Contains(i.Event.Id)).Select(i => i.Event).ToList();
        return new AppendOutcome.Conflict(recorded.Count > 0 && recorded.Count < items.Count && await writer.StoredAsync(pair, recorded) is not null
            ? AppendOutcome.Conflict.PartlyRecorded(recorded.Select(e => e.Id))
            : AppendOutcome.Conflict.IdTaken);
    }

    /// <summary>The ids the items point at: provenance targets and related ids.</summary>
    private static HashSet<Guid> Referenced(IReadOnlyList<Submission> items) =>
        items.SelectMany(i => i.Event is ProvenanceEvent p ? i.Event.RelatedEventIds.Append(p.TargetId) : i.Event.RelatedEventIds).ToHashSet();

    /// <summary>Provenance must point at a domain event of this pair (recorded, or earlier in the same request), and a
    /// correction must leave a valid event; related ids must name events of this pair.</summary>
    /// <param name="stream">the pair's events bearing on <paramref name="referenced"/>, in version order (more may be given)</param>
    private static void CheckReferences(IReadOnlyList<RecordedEvent> stream, IReadOnlySet<Guid> referenced, IReadOnlyList<Submission> items, DateOnly today, Problems problems,
        Func<int, string> itemPath, bool asRecorded = false)
    {
        // what the items point at (and its provenance), not the whole stream: in a long pair that is a few events
        var known = Provenance.Resolver.Of(Provenance.Bearing(stream, referenced));
        // a stream's sequences grow with its versions (a writer holds the stream's row from drawing them to its commit)
        var sequence = stream.Count == 0 ? 0 : stream[^1].Sequence;
        for (var i = 0; i < items.Count; i++)
        {
            var e = items[i].Event;
            var path = itemPath(i);
            foreach (var related in e.RelatedEventIds.Where(r => !known.Contains(r)))
                problems.Add(path + "relatedEventIds", $"No event {related} in this pair.");
            if (e is ProvenanceEvent provenance)
            {
                var resolved = known.Fact(provenance.TargetId);
                var field = path + "data." + provenance switch
                {
                    EventCorrected => "correctsEventId", EventRetracted => "retractsEventId", _ => "eventId",
                };
                if (resolved is null)
                    problems.Add(field, $"No domain event {provenance.TargetId} in this pair (provenance points at facts, not at other provenance).");
                else if (resolved.Retracted && provenance is not SourceCited)
                    problems.Add(field, $"Event {provenance.TargetId} is already retracted.");
                else if (provenance is EventCorrected correction)
                    SubmissionReader.Revise(resolved.Event, correction.Patch, today, problems, path + "data", asRecorded);
            }
            known.Add(new RecordedEvent(e, ++sequence, DateTimeOffset.MaxValue));
        }
    }
}
