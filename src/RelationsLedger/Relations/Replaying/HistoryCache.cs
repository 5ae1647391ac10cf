using System.Collections.Concurrent;
using Marten;

namespace RelationsLedger.Relations.Replaying;

/// <summary>Checkpointed histories of the pairs read lately, for reads of the newest knowledge. Each read checks the
/// stream's version in the database, so an append through any node is seen; only the newer events are loaded.</summary>
public sealed class HistoryCache
{
    private const int MaxPairs = 64;
    private readonly ConcurrentDictionary<string, (CheckpointedHistory History, DateTimeOffset Created, long LastUsed)> _pairs = new();
    private long _clock;

    /// <param name="stream">the stream's state as the caller just read it (null for a pair with no events)</param>
    public async Task<CheckpointedHistory> LatestAsync(IQuerySession session, Pair pair, JasperFx.Events.StreamState? stream, CancellationToken ct)
    {
        var (version, created) = (stream?.Version ?? 0, stream?.Created ?? default);
        // a stream deleted and started again (an administrator's reset) is another history
        var history = _pairs.TryGetValue(pair.Id, out var cached) && cached.Created == created ? cached.History : null;
        if (history is null || history.Version > version)
            history = CheckpointedHistory.Build(await Reading.LoadAsync(session, pair, Knowledge.Latest, ct));
        else if (history.Version < version)
            history = history.Extend((await session.Events.FetchStreamAsync(pair.Id, fromVersion: history.Version + 1, token: ct)).Select(RecordedEvent.From).ToList());
        _pairs[pair.Id] = (history, created, Interlocked.Increment(ref _clock));
        if (_pairs.Count > MaxPairs)
            foreach (var stale in _pairs.OrderBy(p => p.Value.LastUsed).Take(_pairs.Count - MaxPairs).ToList()) _pairs.TryRemove(stale);
        return history;
    }
}
