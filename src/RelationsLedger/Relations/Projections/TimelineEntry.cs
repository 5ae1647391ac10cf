using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace RelationsLedger.Relations.Projections;

/// <summary>One domain event of a pair as it now stands: its place in the timeline and its flags. The event's body
/// (occurredOn, summary, data, sources, related ids) is the stored event's, read from the event table by sequence, and
/// is kept in the row only when corrections changed it — a row that repeated every event doubled what an import, a
/// batch and a rebuild write (972 MB of rows beside 822 MB of events for 1.1 million) for a body the event table
/// already holds. Rows written before that carry their body too, and are read the same way.</summary>
public sealed record TimelineEntry(
    Guid Id, string Pair, string Type, DateOnly Effective, long Sequence, bool Corrected, bool Disputed, bool Retracted,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Occurrence? OccurredOn = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Summary = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EventData? Data = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Source>? Sources = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? RelatedEventIds = null)
{
    /// <summary>The members kept as columns of the row as well as in its JSON (every writer of rows fills them): the
    /// key of the timeline's index.</summary>
    public static readonly string[] Columns = [nameof(Pair), nameof(Effective), nameof(Sequence)];

    /// <summary>The row keeps the body it shows; when false, the body is the stored event's.</summary>
    [JsonIgnore]
    public bool HasBody => Summary is not null;

    public static TimelineEntry Of(string pair, ResolvedEvent e)
    {
        var row = new TimelineEntry(e.Event.Id, pair, e.Event.GetType().Name, e.Effective, e.Sequence, e.Corrected, e.Disputed, e.Retracted);
        return e.Corrected
            ? row with { OccurredOn = e.Event.OccurredOn, Summary = e.Event.Summary, Data = EventData.Of(e.Event), Sources = e.Event.Sources, RelatedEventIds = e.Event.RelatedEventIds }
            : row;
    }
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
        var bearing = changed.ToHashSet();
        var resolver = Provenance.Resolver.Of(Provenance.Bearing(stored, bearing).Where(e => !freshIds.Contains(e.Event.Id)).Concat(Provenance.Bearing(fresh, bearing)));
        return changed.Select(resolver.Fact).OfType<ResolvedEvent>().Select(r => TimelineEntry.Of(pair, r)).ToList();
    }
}
