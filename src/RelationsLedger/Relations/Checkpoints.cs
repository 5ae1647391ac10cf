namespace RelationsLedger.Relations;

/// <summary>A pair's resolved history with the fold's state saved at the start of every month that has events, so a
/// read at any date folds only the events of its own month. The states come from <see cref="RelationshipState.Evolve"/>
/// like every other read; a backdated fact or any provenance invalidates the checkpoints from its date on.</summary>
public sealed class CheckpointedHistory
{
    private readonly List<RecordedEvent> _recorded;
    private readonly IReadOnlyList<ResolvedEvent> _ordered;
    private readonly List<(DateOnly Month, int Index, RelationshipState State)> _checkpoints;

    private CheckpointedHistory(List<RecordedEvent> recorded, IReadOnlyList<ResolvedEvent> ordered, List<(DateOnly, int, RelationshipState)> checkpoints)
    {
        _recorded = recorded;
        _ordered = ordered;
        _checkpoints = checkpoints;
    }

    /// <summary>The newest recorded event this history includes (its version is the stream version it reflects).</summary>
    public RecordedEvent? Last => _recorded.Count == 0 ? null : _recorded[^1];
    public long Version => Last?.Version ?? 0;
    public IReadOnlyList<RecordedEvent> Recorded => _recorded;
    public IReadOnlyList<ResolvedEvent> Resolved => _ordered;
    public int Checkpoints => _checkpoints.Count;

    public static CheckpointedHistory Build(IEnumerable<RecordedEvent> recorded)
    {
        var all = recorded.OrderBy(e => e.Sequence).ToList();
        var ordered = Provenance.Resolve(all);
        return new CheckpointedHistory(all, ordered, Walk(ordered, []));
    }

    /// <summary>The history with newer events: checkpoints before the earliest date they touch are kept.</summary>
    public CheckpointedHistory Extend(IReadOnlyList<RecordedEvent> newer)
    {
        var fresh = newer.Where(n => n.Sequence > (Last?.Sequence ?? 0)).OrderBy(e => e.Sequence).ToList();
        if (fresh.Count == 0) return this;
        var all = _recorded.Concat(fresh).ToList();
        var ordered = Provenance.Resolve(all);
        var affected = fresh.Select(e => e.Event switch
        {
            DomainEvent fact => fact.OccurredOn.Start,
            ProvenanceEvent p => Earliest(p.TargetId, ordered),
            _ => DateOnly.MaxValue,
        }).Min();
        var kept = _checkpoints.Where(c => c.Month <= affected).ToList();
        return new CheckpointedHistory(all, ordered, Walk(ordered, kept));
    }

    /// <summary>The earliest date a corrected, retracted or cited event has stood at, before or after this change.</summary>
    private DateOnly Earliest(Guid target, IReadOnlyList<ResolvedEvent> ordered)
    {
        var before = _ordered.FirstOrDefault(r => r.Event.Id == target)?.Effective ?? DateOnly.MaxValue;
        var after = ordered.FirstOrDefault(r => r.Event.Id == target)?.Effective ?? DateOnly.MaxValue;
        return before < after ? before : after;
    }

    public RelationshipState StateAt(DateOnly asOf)
    {
        var (index, state) = (0, RelationshipState.Empty);
        var lo = 0;
        var hi = _checkpoints.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (_checkpoints[mid].Month <= asOf) { (index, state) = (_checkpoints[mid].Index, _checkpoints[mid].State); lo = mid + 1; }
            else hi = mid - 1;
        }
        for (var i = index; i < _ordered.Count && _ordered[i].Effective <= asOf; i++)
            if (!_ordered[i].Retracted) state = state.Evolve(_ordered[i].Event);
        return state;
    }

    /// <summary>Continues from the last kept checkpoint, saving the state at each new month's start.</summary>
    private static List<(DateOnly, int, RelationshipState)> Walk(IReadOnlyList<ResolvedEvent> ordered, List<(DateOnly Month, int Index, RelationshipState State)> kept)
    {
        var checkpoints = kept;
        var (index, state) = checkpoints.Count == 0 ? (0, RelationshipState.Empty) : (checkpoints[^1].Index, checkpoints[^1].State);
        var month = checkpoints.Count == 0 ? DateOnly.MinValue : checkpoints[^1].Month;
        for (var i = index; i < ordered.Count; i++)
        {
            var start = new DateOnly(ordered[i].Effective.Year, ordered[i].Effective.Month, 1);
            if (start > month)
            {
                checkpoints.Add((start, i, state));
                month = start;
            }
            if (!ordered[i].Retracted) state = state.Evolve(ordered[i].Event);
        }
        return checkpoints;
    }
}
