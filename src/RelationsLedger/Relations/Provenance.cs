using System.Text.Json.Nodes;

namespace RelationsLedger.Relations;

/// <summary>An event as the store holds it: the fact, its global sequence and the store's recorded time.</summary>
public sealed record RecordedEvent(LedgerEvent Event, long Sequence, DateTimeOffset RecordedAt, long Version = 0)
{
    public static RecordedEvent From(JasperFx.Events.IEvent e) => new((LedgerEvent)e.Data, e.Sequence, e.Timestamp, e.Version);
}

public sealed record Correction(Guid CorrectionId, JsonObject Patch, string Reason, long Sequence, DateTimeOffset RecordedAt);

public sealed record Citation(Guid CitationId, Source Source, Stance Stance, long Sequence, DateTimeOffset RecordedAt);

/// <summary>A domain event with its provenance applied: corrections merged in, citations gathered, retraction noted.
/// It keeps the event as recorded (<see cref="Recorded"/>) instead of copying its sequence and time, and one shared
/// <see cref="Revisions.None"/> for the facts nothing revised: the history cache holds one per cached fact, and this
/// halves each (80 → 40 bytes).</summary>
public sealed record ResolvedEvent(DomainEvent Event, RecordedEvent Recorded, Revisions Revisions)
{
    public DomainEvent Original => (DomainEvent)Recorded.Event;
    public long Sequence => Recorded.Sequence;
    public DateTimeOffset RecordedAt => Recorded.RecordedAt;
    public IReadOnlyList<Correction> Corrections => Revisions.Corrections;
    public IReadOnlyList<Citation> Citations => Revisions.Citations;
    public EventRetracted? Retraction => Revisions.Retraction;
    public bool Retracted => Retraction is not null;
    public bool Corrected => Corrections.Count > 0;
    public bool Disputed => Citations.Any(c => c.Stance == Stance.Disputes);
    public DateOnly Effective => Event.OccurredOn.Start;
}

/// <summary>The provenance recorded about one fact, in recorded order.</summary>
public sealed record Revisions(IReadOnlyList<Correction> Corrections, IReadOnlyList<Citation> Citations, EventRetracted? Retraction)
{
    public static readonly Revisions None = new([], [], null);
}

public static class Provenance
{
    /// <summary>Steps 1–2 of every read: the events known (already filtered by the caller), provenance applied in
    /// recorded order, domain events ordered by (start of occurredOn's period, sequence). Only the facts some
    /// provenance names go through a <see cref="Resolver"/>; every other fact stands as recorded. Resolving a long pair
    /// thus indexes its few revised facts, not all of them: the index of a 100,000-event pair's every event took 13 MB,
    /// left in the large-object heap until the next full collection.</summary>
    public static IReadOnlyList<ResolvedEvent> Resolve(IEnumerable<RecordedEvent> events)
    {
        var inSequence = InSequence(events);
        HashSet<Guid>? named = null;
        var facts = 0;
        foreach (var e in inSequence)
            if (e.Event is ProvenanceEvent p) (named ??= []).Add(p.TargetId);
            else if (e.Event is DomainEvent) facts++;
        var revised = named is null ? null : Resolver.Of(inSequence.Where(e => e.Event is ProvenanceEvent || named.Contains(e.Event.Id)));
        var resolved = new ResolvedEvent[facts];
        var n = 0;
        foreach (var e in inSequence)
            if (e.Event is DomainEvent fact)
                resolved[n++] = revised?.Fact(fact.Id) ?? new ResolvedEvent(fact, e, Revisions.None);
        Array.Sort(resolved, InEffectiveOrder);
        return resolved;
    }

    private static readonly Comparison<ResolvedEvent> InEffectiveOrder = (a, b) =>
        a.Effective != b.Effective ? a.Effective.CompareTo(b.Effective) : a.Sequence.CompareTo(b.Sequence);

    /// <summary>The events in sequence order: a list already in that order as it is (the store reads a stream in it),
    /// anything else sorted into a new one.</summary>
    public static List<RecordedEvent> InSequence(IEnumerable<RecordedEvent> events)
    {
        var list = events as List<RecordedEvent> ?? [.. events];
        for (var i = 1; i < list.Count; i++)
            if (list[i].Sequence < list[i - 1].Sequence)
            {
                if (ReferenceEquals(list, events)) list = [.. list];
                list.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
                break;
            }
        return list;
    }

    /// <summary>The events of <paramref name="stream"/> that resolving the events <paramref name="ids"/> needs: the events
    /// themselves and the provenance pointing at them. A fact's provenance never depends on another fact, so a write
    /// that touches a few facts of a long stream resolves those, not the whole stream again.</summary>
    public static IEnumerable<RecordedEvent> Bearing(IEnumerable<RecordedEvent> stream, IReadOnlySet<Guid> ids) =>
        stream is IndexedStream indexed ? indexed.Bearing(ids)
            : stream.Where(e => ids.Contains(e.Event.Id) || (e.Event is ProvenanceEvent p && ids.Contains(p.TargetId)));

    /// <summary>The fold of provenance onto facts, one recorded event at a time (in sequence order), so a writer can
    /// check each new event against the stream and the events before it in the same request without re-resolving.</summary>
    public sealed class Resolver
    {
        private readonly Dictionary<Guid, ResolvedEvent> _facts = new();
        private readonly HashSet<Guid> _all = new();

        /// <summary>A resolver that has seen <paramref name="events"/>, in sequence order whatever their order here.</summary>
        public static Resolver Of(IEnumerable<RecordedEvent> events)
        {
            var resolver = new Resolver();
            foreach (var recorded in InSequence(events)) resolver.Add(recorded);
            return resolver;
        }

        /// <summary>Every event id seen, provenance included.</summary>
        public bool Contains(Guid id) => _all.Contains(id);

        /// <summary>The domain event with this id as it now stands; provenance ids are not facts.</summary>
        public ResolvedEvent? Fact(Guid id) => _facts.GetValueOrDefault(id);

        public void Add(RecordedEvent recorded)
        {
            _all.Add(recorded.Event.Id);
            switch (recorded.Event)
            {
                case DomainEvent domain:
                    _facts[domain.Id] = new ResolvedEvent(domain, recorded, Revisions.None);
                    break;
                case EventCorrected c when _facts.TryGetValue(c.CorrectsEventId, out var target):
                    var correction = new Correction(c.Id, c.Patch, c.Reason, recorded.Sequence, recorded.RecordedAt);
                    _facts[target.Event.Id] = target with
                    {
                        Event = Apply(target.Event, c.Patch) ?? target.Event,
                        Revisions = target.Revisions with { Corrections = [.. target.Corrections, correction] },
                    };
                    break;
                case EventRetracted r when _facts.TryGetValue(r.RetractsEventId, out var target):
                    _facts[target.Event.Id] = target with { Revisions = target.Revisions with { Retraction = r } };
                    break;
                case SourceCited s when _facts.TryGetValue(s.EventId, out var target):
                    _facts[target.Event.Id] = target with
                    {
                        Revisions = target.Revisions with { Citations = [.. target.Citations, new Citation(s.Id, s.Source, s.Stance, recorded.Sequence, recorded.RecordedAt)] },
                    };
                    break;
            }
        }
    }

    /// <summary>A correction's merge patch applied to the event; null if the result would not be a valid event
    /// (appends validate this, so it only guards against data written around the API).</summary>
    public static DomainEvent? Apply(DomainEvent current, JsonObject patch)
    {
        var problems = new Recording.Problems();
        var revised = Recording.SubmissionReader.Revise(current, patch, DateOnly.MaxValue.AddYears(-1), problems, "", asRecorded: true);
        return revised as DomainEvent;
    }
}
