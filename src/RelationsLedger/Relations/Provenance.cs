using System.Text.Json.Nodes;

namespace RelationsLedger.Relations;

/// <summary>An event as the store holds it: the fact, its global sequence and the store's recorded time.</summary>
public sealed record RecordedEvent(LedgerEvent Event, long Sequence, DateTimeOffset RecordedAt, long Version = 0)
{
    public static RecordedEvent From(JasperFx.Events.IEvent e) => new((LedgerEvent)e.Data, e.Sequence, e.Timestamp, e.Version);
}

public sealed record Correction(Guid CorrectionId, JsonObject Patch, string Reason, long Sequence, DateTimeOffset RecordedAt);

public sealed record Citation(Guid CitationId, Source Source, Stance Stance, long Sequence, DateTimeOffset RecordedAt);

/// <summary>A domain event with its provenance applied: corrections merged in, citations gathered, retraction noted.</summary>
public sealed record ResolvedEvent(
    DomainEvent Event, DomainEvent Original, long Sequence, DateTimeOffset RecordedAt,
    IReadOnlyList<Correction> Corrections, IReadOnlyList<Citation> Citations, EventRetracted? Retraction)
{
    public bool Retracted => Retraction is not null;
    public bool Corrected => Corrections.Count > 0;
    public bool Disputed => Citations.Any(c => c.Stance == Stance.Disputes);
    public DateOnly Effective => Event.OccurredOn.Start;
}

public static class Provenance
{
    /// <summary>Steps 1–2 of every read: the events known (already filtered by the caller), provenance applied in
    /// recorded order, domain events ordered by (start of occurredOn's period, sequence).</summary>
    public static IReadOnlyList<ResolvedEvent> Resolve(IEnumerable<RecordedEvent> events)
    {
        var byId = new Dictionary<Guid, ResolvedEvent>();
        foreach (var recorded in events.OrderBy(e => e.Sequence))
        {
            switch (recorded.Event)
            {
                case DomainEvent domain:
                    byId[domain.Id] = new ResolvedEvent(domain, domain, recorded.Sequence, recorded.RecordedAt, [], [], null);
                    break;
                case EventCorrected c when byId.TryGetValue(c.CorrectsEventId, out var target):
                    var correction = new Correction(c.Id, c.Patch, c.Reason, recorded.Sequence, recorded.RecordedAt);
                    byId[target.Event.Id] = target with
                    {
                        Event = Apply(target.Event, c.Patch) ?? target.Event,
                        Corrections = [.. target.Corrections, correction],
                    };
                    break;
                case EventRetracted r when byId.TryGetValue(r.RetractsEventId, out var target):
                    byId[target.Event.Id] = target with { Retraction = r };
                    break;
                case SourceCited s when byId.TryGetValue(s.EventId, out var target):
                    byId[target.Event.Id] = target with
                    {
                        Citations = [.. target.Citations, new Citation(s.Id, s.Source, s.Stance, recorded.Sequence, recorded.RecordedAt)],
                    };
                    break;
            }
        }
        return byId.Values.OrderBy(e => e.Effective).ThenBy(e => e.Sequence).ToList();
    }

    /// <summary>A correction's merge patch applied to the event; null if the result would not be a valid event
    /// (appends validate this, so it only guards against data written around the API).</summary>
    public static DomainEvent? Apply(DomainEvent current, JsonObject patch)
    {
        var problems = new Recording.Problems();
        var revised = Recording.SubmissionReader.Revise(current, patch, DateOnly.MaxValue.AddYears(-1), problems, "");
        return revised as DomainEvent;
    }
}
