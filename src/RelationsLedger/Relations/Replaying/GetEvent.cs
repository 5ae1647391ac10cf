using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Platform;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

/// <summary>A source of the event, or one cited later (<see cref="CitationId"/>: when and by whom).</summary>
public sealed record CitedSource(Source Source, Stance Stance, Guid? CitationId, DateTimeOffset? RecordedAt, string? RecordedBy);

public sealed record CorrectionView(Guid CorrectionId, JsonObject Patch, string Reason, long Sequence, DateTimeOffset RecordedAt, string? RecordedBy);

/// <summary>The event that retracted a fact: where and when it was recorded, so the fact can be read as known just before.</summary>
public sealed record RetractionView(Guid RetractionId, string Reason, long Sequence, DateTimeOffset RecordedAt, string? RecordedBy);

/// <summary>An event as it now stands. <see cref="RecordedBy"/> and the like name who recorded each event: an API key's
/// name, a seed file or an import's file (null for an event stored without one).</summary>
public sealed record EventView(
    Guid EventId, string Pair, string Type, Occurrence OccurredOn, string Summary, JsonObject Data,
    IReadOnlyList<CitedSource> Sources, IReadOnlyList<Guid> RelatedEventIds, long Sequence, DateTimeOffset RecordedAt, string? RecordedBy,
    bool Corrected, bool Disputed, bool Retracted, string? RetractionReason, string? RetractedBy, RetractionView? Retraction,
    IReadOnlyList<CorrectionView> Corrections, JsonObject? Original);

public static class GetEvent
{
    /// <summary>An event as it now stands: corrections applied (with their history), sources with their stances, and
    /// a retracted event still answers, flagged. A provenance event answers as recorded.</summary>
    [WolverineGet("/api/events/{id}")]
    public static async Task<IResult> Get(string id, IQuerySession session, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var eventId)) return LedgerResults.NotFound($"No event '{id}' (event ids are UUIDs).");
        var raw = await session.Events.QueryAllRawEvents().Where(e => e.Id == eventId).FirstOrDefaultAsync(ct);
        if (raw is null || !Pair.TryParse(raw.StreamKey, out var pair)) return LedgerResults.NotFound($"No event {eventId}.");

        // the event and the provenance naming it resolve it as the whole stream would: a long pair is not read
        var rows = EventRows.Of(session.DocumentStore);
        // with who recorded the event and each of its corrections, citations and retraction
        var writers = new Dictionary<Guid, string>();
        var (_, bearing) = await rows.BearingAsync(session, pair.Id, new HashSet<Guid> { eventId }, ct, writers);
        var resolved = Provenance.Resolve(bearing).FirstOrDefault(r => r.Event.Id == eventId);
        var e = resolved?.Event ?? (LedgerEvent)raw.Data;
        string? By(Guid id) => writers.GetValueOrDefault(id);
        var retraction = resolved?.Retraction is { } retracted && bearing.FirstOrDefault(r => r.Event.Id == retracted.Id) is { } recorded
            ? new RetractionView(retracted.Id, retracted.Reason, recorded.Sequence, recorded.RecordedAt, By(retracted.Id)) : null;
        var sources = e.Sources.Select(s => new CitedSource(s, Stance.Supports, null, null, null))
            .Concat(resolved?.Citations.Select(c => new CitedSource(c.Source, c.Stance, c.CitationId, c.RecordedAt, By(c.CitationId))) ?? []).ToList();
        return TypedResults.Ok(new EventView(
            eventId, pair.Id, e.GetType().Name, e.OccurredOn, e.Summary, EventCatalog.DataOf(e), sources, e.RelatedEventIds,
            raw.Sequence, raw.Timestamp, By(eventId), resolved?.Corrected ?? false, resolved?.Disputed ?? false, resolved?.Retracted ?? false,
            retraction?.Reason, retraction?.RecordedBy, retraction,
            resolved?.Corrections.Select(c => new CorrectionView(c.CorrectionId, c.Patch, c.Reason, c.Sequence, c.RecordedAt, By(c.CorrectionId))).ToList() ?? [],
            resolved is { Corrected: true } ? EventCatalog.CorrectableOf(resolved.Original) : null));
    }
}
