using System.Collections;
using System.Runtime.InteropServices;

namespace RelationsLedger.Relations;

/// <summary>A pair's recorded events in order, with what <see cref="Provenance.Bearing"/> looks for — each event by its
/// id, and provenance by the fact it names — kept up to date as events are added. An import holds one per pair, so
/// every transaction of a long pair finds the few events its corrections touch instead of scanning the whole stream
/// twice (quadratic in the pair's length: a fifth of the app's work importing a 100,000-event pair).</summary>
public sealed class IndexedStream : IReadOnlyList<RecordedEvent>
{
    private readonly List<RecordedEvent> _events = [];
    private readonly Dictionary<Guid, RecordedEvent> _byId = [];
    private readonly Dictionary<Guid, List<RecordedEvent>> _provenanceOf = [];

    public IndexedStream(IEnumerable<RecordedEvent> events)
    {
        foreach (var e in events) Add(e);
    }

    /// <summary>Adds the stream's next event (after every one it holds).</summary>
    public void Add(RecordedEvent e)
    {
        _events.Add(e);
        _byId[e.Event.Id] = e;
        if (e.Event is ProvenanceEvent p) (CollectionsMarshal.GetValueRefOrAddDefault(_provenanceOf, p.TargetId, out _) ??= []).Add(e);
    }

    /// <summary>As <see cref="Provenance.Bearing"/> finds them in the stream: the events with these ids and the
    /// provenance naming them, in stream order.</summary>
    public IEnumerable<RecordedEvent> Bearing(IReadOnlySet<Guid> ids) =>
        ids.SelectMany(id => _provenanceOf.GetValueOrDefault(id) ?? (IEnumerable<RecordedEvent>)[])
            .Concat(ids.Select(id => _byId.GetValueOrDefault(id)).OfType<RecordedEvent>())
            .Distinct().OrderBy(e => e.Sequence);

    public int Count => _events.Count;
    public RecordedEvent this[int index] => _events[index];
    public IEnumerator<RecordedEvent> GetEnumerator() => _events.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
