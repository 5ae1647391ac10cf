using System.Collections.Concurrent;
using Marten;

namespace RelationsLedger.Relations.Replaying;

/// <summary>Checkpointed histories of the pairs read lately, for reads of the newest knowledge and the summary
/// projection. Each use checks the stream's version in the database, so an append through any node is seen; only
/// the newer events are loaded. Bounded by events, not pairs (<c>Ledger:HistoryCache:MaxEvents</c>): the least
/// recently used histories go first, and the one just used always stays, however long it is. What only the summary
/// projection used — never a read — goes at the idle trim (<see cref="DropUnread"/>): after a bulk import its catch-up
/// passes over every pair once and left the cache full of histories nobody reads. Beside them, a few histories of what
/// was known at a moment (<see cref="AsKnown"/>), for the dashboard's slider while a knownAt is set.</summary>
public sealed class HistoryCache(int maxEvents = HistoryCache.DefaultMaxEvents, int maxKnownEvents = HistoryCache.DefaultMaxKnownEvents)
{
    public const int DefaultMaxEvents = 150_000, DefaultMaxKnownEvents = 100_000;

    /// <summary>A history as known at a moment is read at many dates but never extended: a checkpoint every this many
    /// events, none at months' starts, keeps it a quarter to a third of a newest history's size (150–175 bytes an event on the
    /// benchmark's ledger, its shared events not counted) while a read folds a millisecond or two from its checkpoint.</summary>
    public const int KnownEvery = 2048;

    private readonly ConcurrentDictionary<string, (CheckpointedHistory History, DateTimeOffset Created, long LastUsed, bool Read)> _pairs = new();
    private readonly Lock _trim = new();
    private long _clock;
    private readonly LinkedList<((string Pair, int Count, long Sequence, Guid Id) Key, CheckpointedHistory History)> _known = new();

    public static HistoryCache From(IConfiguration configuration) => new(
        configuration.GetValue("Ledger:HistoryCache:MaxEvents", DefaultMaxEvents),
        configuration.GetValue("Ledger:HistoryCache:MaxKnownAtEvents", DefaultMaxKnownEvents));

    /// <summary>The history of exactly the events of <paramref name="latest"/> that <paramref name="knowledge"/> knew, with
    /// its own resolution and checkpoints: built on the first read at that moment (a fold of what was known, as before)
    /// and kept for the next ones, which fold from its nearest checkpoint. The newest history's checkpoints cannot
    /// serve such a read: one backdated fact recorded after the moment changes every checkpoint after its date. Kept
    /// by what was known — how many events and the newest among them (its sequence, and its id: a database reset
    /// starts the sequences again), which name one set, since what an instant or a basis knew is everything up to a
    /// threshold — so two instants between the same two records share one. The most recently used are kept up to
    /// <c>Ledger:HistoryCache:MaxKnownAtEvents</c> events in all, and the one just built always (0: none kept).</summary>
    public CheckpointedHistory AsKnown(Pair pair, CheckpointedHistory latest, Knowledge knowledge)
    {
        var (count, last) = (0, (RecordedEvent?)null);
        foreach (var e in latest.Recorded)
            if (knowledge.Includes(e)) (count, last) = (count + 1, e);
        var key = (pair.Id, count, last?.Sequence ?? 0, last?.Event.Id ?? Guid.Empty);
        CheckpointedHistory? Kept()
        {
            for (var node = _known.First; node is not null; node = node.Next)
                if (node.Value.Key == key)
                {
                    _known.Remove(node);
                    _known.AddFirst(node);
                    return node.Value.History;
                }
            return null;
        }
        lock (_known)
            if (Kept() is { } kept) return kept;
        var history = CheckpointedHistory.Build(latest.Recorded.Where(knowledge.Includes), KnownEvery, monthly: false);
        lock (_known)
        {
            if (maxKnownEvents <= 0) return history;
            // two first reads at one moment may have built it at once: one is kept
            if (Kept() is { } built) return built;
            _known.AddFirst((key, history));
            var events = _known.Sum(k => (long)k.Key.Count);
            while (events > maxKnownEvents && _known.Count > 1)
            {
                events -= _known.Last!.Value.Key.Count;
                _known.RemoveLast();
            }
        }
        return history;
    }

    // enumerated, not through Values (which locks the whole dictionary and copies it): every read passes here
    public long Events => _pairs.Sum(p => (long)p.Value.History.Recorded.Count);

    /// <param name="stream">the stream's state as the caller just read it (null for a pair with no events)</param>
    /// <param name="read">false for background work (the summary projection): the history stays only until the idle trim,
    /// unless a read uses it too</param>
    /// <param name="loaded">events of the pair the caller has already read from the store, in version order (the async
    /// daemon's batch): the history takes what it needs of them instead of reading them again</param>
    public async Task<CheckpointedHistory> LatestAsync(IQuerySession session, Pair pair, JasperFx.Events.StreamState? stream, CancellationToken ct,
        bool read = true, IReadOnlyList<RecordedEvent>? loaded = null)
    {
        var (version, created) = (stream?.Version ?? 0, stream?.Created ?? default);
        // a stream deleted and started again (an administrator's reset) is another history
        var history = _pairs.TryGetValue(pair.Id, out var cached) && cached.Created == created ? cached.History : null;
        if (history is null || history.Version > version)
            history = CheckpointedHistory.Build(await NewerAsync(session, pair, afterVersion: 0, version, created, loaded, ct));
        else if (history.Version < version)
            history = history.Extend(await NewerAsync(session, pair, history.Version, version, created, loaded, ct));
        _pairs[pair.Id] = (history, created, Interlocked.Increment(ref _clock), read || (cached.History is not null && cached.Read));
        Trim(pair.Id);
        return history;
    }

    /// <summary>The pair's events after <paramref name="afterVersion"/>: those of <paramref name="loaded"/> that follow it
    /// without a gap (recorded since the stream was created: none of an earlier stream of the pair), then the rest from
    /// the store. Both are leaned alike, so the history is the same whichever way its events came.</summary>
    private async Task<List<RecordedEvent>> NewerAsync(IQuerySession session, Pair pair, long afterVersion, long version, DateTimeOffset created,
        IReadOnlyList<RecordedEvent>? loaded, CancellationToken ct)
    {
        // sized for the versions between (tombstones are not events, so it may hold fewer): a long pair's list grown by
        // doubling left a megabyte of discarded arrays in the large-object heap
        var newer = new List<RecordedEvent>((int)Math.Clamp(version - afterVersion, 0, Array.MaxLength));
        foreach (var e in loaded ?? [])
        {
            if (e.Version <= afterVersion + newer.Count) continue;
            if (e.Version != afterVersion + newer.Count + 1 || e.Version > version || e.RecordedAt < created) break;
            newer.Add(Lean(e));
        }
        if (afterVersion + newer.Count < version)
        {
            // leaned as they are read: the whole events of a long pair then die young instead of living, all at once,
            // until the last is read
            var rows = EventRows.Of(session.DocumentStore);
            await foreach (var e in rows.ReadAsync(session, rows.StreamCommand(pair.Id, afterVersion + newer.Count), ct, lean: true)) newer.Add(e);
        }
        return newer;
    }

    /// <summary>What the fold needs of an event. Sources and related ids are for people (the timeline and event pages
    /// read them from the store), and so is the summary of any fact but a contact (<see cref="RelationshipState.IsContact"/>):
    /// together two fifths of a cached event's memory. A summary stays filled, with <see cref="NotKept"/>: a correction
    /// is applied by validating the patched event again, and an event without one would not pass.</summary>
    public static RecordedEvent Lean(RecordedEvent e) => e.Event switch
    {
        DomainEvent fact when !RelationshipState.IsContact(fact) => e with { Event = fact with { Summary = NotKept, Sources = [], RelatedEventIds = [] } },
        { Sources.Count: 0, RelatedEventIds.Count: 0 } => e,
        var other => e with { Event = other with { Sources = [], RelatedEventIds = [] } },
    };

    public const string NotKept = "(not kept in the history cache)";

    /// <summary><see cref="Lean"/>'s rule as the events are read (<see cref="EventRows.ReadLean"/>): the ledger's JSON
    /// options with an event's sources and related ids, and a fact's summary (but a contact's), left unread.</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions LeanJson = new(LedgerJson.Options)
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (!typeof(LedgerEvent).IsAssignableFrom(info.Type)) return;
                    string[] unread = typeof(DomainEvent).IsAssignableFrom(info.Type) && !RelationshipState.IsContact(info.Type)
                        ? ["sources", "relatedEventIds", "summary"] : ["sources", "relatedEventIds"];
                    foreach (var property in info.Properties.Where(p => unread.Contains(p.Name)).ToList()) info.Properties.Remove(property);
                },
            },
        },
    };

    /// <summary>For tests: whether the pair's history is cached.</summary>
    internal bool Holds(string pair) => _pairs.ContainsKey(pair);

    /// <summary>Drops the histories no read has used (only background work has); the events they held.</summary>
    public long DropUnread()
    {
        var dropped = 0L;
        foreach (var (pair, entry) in _pairs)
            if (!entry.Read && _pairs.TryRemove(KeyValuePair.Create(pair, entry))) dropped += entry.History.Recorded.Count;
        return dropped;
    }

    private void Trim(string justUsed)
    {
        // every read passes here: order the pairs only when the bound is actually passed
        if (Events <= maxEvents) return;
        lock (_trim)
        {
            var total = Events;
            foreach (var (pair, entry) in _pairs.OrderBy(p => p.Value.LastUsed).ToList())
            {
                if (total <= maxEvents) break;
                if (pair == justUsed) continue;
                if (_pairs.TryRemove(pair, out _)) total -= entry.History.Recorded.Count;
            }
        }
    }
}
