using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace RelationsLedger.Relations.Projections;

/// <summary>One domain event of a pair as it now stands (corrections applied, flags set): the timeline's read model.</summary>
public sealed record TimelineEntry(
    Guid Id, string Pair, string Type, Occurrence OccurredOn, DateOnly Effective, long Sequence, string Summary,
    EventData Data, IReadOnlyList<Source> Sources, IReadOnlyList<Guid> RelatedEventIds,
    bool Corrected, bool Disputed, bool Retracted)
{
    /// <summary>The members kept as columns of the row as well as in its JSON (every writer of rows fills them): the
    /// key of the timeline's index.</summary>
    public static readonly string[] Columns = [nameof(Pair), nameof(Effective), nameof(Sequence)];

    public static TimelineEntry Of(string pair, ResolvedEvent e) => new(
        e.Event.Id, pair, e.Event.GetType().Name, e.Event.OccurredOn, e.Effective, e.Sequence, e.Event.Summary,
        EventData.Of(e.Event), e.Event.Sources, e.Event.RelatedEventIds, e.Corrected, e.Disputed, e.Retracted);
}

/// <summary>Inline, so a timeline read straight after an append shows it: the append path writes the rows of
/// <see cref="Rows"/> in its own transaction, and Marten runs the same code when it rebuilds the projection. New facts
/// become rows as they are; provenance re-resolves the pair's stream, so corrections are applied by the same code as
/// every other read.</summary>
public sealed class TimelineProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var stream in events.Where(e => e.Data is LedgerEvent).GroupBy(e => e.StreamKey!))
        {
            var fresh = stream.Select(e => RecordedEvent.From(e)).ToList();
            var stored = fresh.Any(e => e.Event is ProvenanceEvent)
                ? (await operations.Events.FetchStreamAsync(stream.Key, token: cancellation)).Select(e => RecordedEvent.From(e)).ToList()
                : [];
            foreach (var row in Rows(stream.Key, fresh, stored)) operations.Store(row);
        }
    }

    /// <summary>The rows that <paramref name="fresh"/> events add or change, given the pair's stored stream (needed
    /// only when they include provenance; it may already contain them).</summary>
    public static IReadOnlyList<TimelineEntry> Rows(string pair, IReadOnlyList<RecordedEvent> fresh, IReadOnlyList<RecordedEvent> stored)
    {
        if (!fresh.Any(e => e.Event is ProvenanceEvent)) return Provenance.Resolve(fresh).Select(r => TimelineEntry.Of(pair, r)).ToList();
        var freshIds = fresh.Select(f => f.Event.Id).ToHashSet();
        // only the rows these events add or change: their facts and the provenance pointing at them, resolved
        var changed = fresh.Select(e => e.Event is ProvenanceEvent p ? p.TargetId : e.Event.Id).Distinct().ToList();
        var resolver = Provenance.Resolver.Of(Provenance.Bearing(stored.Where(e => !freshIds.Contains(e.Event.Id)).Concat(fresh), changed.ToHashSet()));
        return changed.Select(resolver.Fact).OfType<ResolvedEvent>().Select(r => TimelineEntry.Of(pair, r)).ToList();
    }
}
