using System.Text.Json.Nodes;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace RelationsLedger.Relations.Projections;

/// <summary>One domain event of a pair as it now stands (corrections applied, flags set): the timeline's read model.</summary>
public sealed record TimelineEntry(
    Guid Id, string Pair, string Type, Occurrence OccurredOn, DateOnly Effective, long Sequence, string Summary,
    JsonObject Data, IReadOnlyList<Source> Sources, IReadOnlyList<Guid> RelatedEventIds,
    bool Corrected, bool Disputed, bool Retracted)
{
    public static TimelineEntry Of(string pair, ResolvedEvent e) => new(
        e.Event.Id, pair, e.Event.GetType().Name, e.Event.OccurredOn, e.Effective, e.Sequence, e.Event.Summary,
        EventCatalog.DataOf(e.Event), e.Event.Sources, e.Event.RelatedEventIds, e.Corrected, e.Disputed, e.Retracted);
}

/// <summary>Inline, so a timeline read straight after an append shows it. New facts become rows as they are; a batch
/// with provenance re-resolves the pair's stream, so corrections are applied by the same code as every other read.</summary>
public sealed class TimelineProjection : IProjection
{
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var stream in events.GroupBy(e => e.StreamKey!))
        {
            var fresh = stream.Select(e => RecordedEvent.From(e)).ToList();
            IEnumerable<ResolvedEvent> rows;
            if (fresh.Any(e => e.Event is ProvenanceEvent))
            {
                var stored = await operations.Events.FetchStreamAsync(stream.Key, token: cancellation);
                var all = stored.Select(e => RecordedEvent.From(e))
                    .Where(e => fresh.All(f => f.Event.Id != e.Event.Id)).Concat(fresh);
                var targets = fresh.Select(e => e.Event).OfType<ProvenanceEvent>().Select(p => p.TargetId).ToHashSet();
                rows = Provenance.Resolve(all).Where(r => targets.Contains(r.Event.Id) || fresh.Any(f => f.Event.Id == r.Event.Id));
            }
            else rows = Provenance.Resolve(fresh);
            foreach (var row in rows) operations.Store(TimelineEntry.Of(stream.Key, row));
        }
    }
}
