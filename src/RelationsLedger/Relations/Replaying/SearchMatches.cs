using Microsoft.Extensions.Caching.Memory;

namespace RelationsLedger.Relations.Replaying;

/// <summary>The events a timeline search matched, kept for its next pages. A search reads the pair's whole events
/// (0.9 s on a pair of 100,000), and its next link pins the basis, so the next page asks the same words at the same
/// point: the same matches, which never change there. Only ids are kept, at most <see cref="MaxIds"/> of them in all.</summary>
public sealed class SearchMatches : IDisposable
{
    public const int MaxIds = 100_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxIds });

    /// <summary>A search's point: the pair, the newest sequence read and the moment known at, if any (which events
    /// count), and its words in a canonical order.</summary>
    public readonly record struct Key(string Pair, long Newest, DateTimeOffset? KnownAt, string Words);

    public async Task<IReadOnlySet<Guid>> GetOrFindAsync(Key key, Func<Task<HashSet<Guid>>> find)
    {
        if (_cache.TryGetValue(key, out IReadOnlySet<Guid>? kept)) return kept!;
        var found = await find();
        // a match larger than the whole cache is answered and not kept
        if (found.Count < MaxIds)
            _cache.Set(key, (IReadOnlySet<Guid>)found, new MemoryCacheEntryOptions { Size = found.Count + 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
        return found;
    }

    public void Dispose() => _cache.Dispose();
}
