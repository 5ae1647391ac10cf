using RelationsLedger.Relations;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Tests.Unit;

public sealed class SearchMatchesTests
{
    [Fact]
    public async Task a_search_is_found_once_per_pair_point_moment_and_words_and_a_match_larger_than_the_cache_is_not_kept()
    {
        using var searches = new SearchMatches();
        var finds = 0;
        Task<HashSet<Guid>> Find(int count)
        {
            finds++;
            return Task.FromResult(Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToHashSet());
        }
        var key = new SearchMatches.Key("BY-US", 10, null, WordScreen.Of("Reuters, letter")!.Key);
        var first = await searches.GetOrFindAsync(key, () => Find(3));
        Assert.Same(first, await searches.GetOrFindAsync(key with { Words = WordScreen.Of("LETTER reuters letter")!.Key }, () => Find(3)));
        Assert.Equal(1, finds);
        // another pair, a newer point, a moment known at, other words: each its own search
        foreach (var other in new[] { key with { Pair = "RU-US" }, key with { Newest = 11 }, key with { KnownAt = DateTimeOffset.UnixEpoch }, key with { Words = "letter" } })
            Assert.NotSame(first, await searches.GetOrFindAsync(other, () => Find(3)));
        Assert.Equal(5, finds);

        var huge = key with { Words = "the" };
        await searches.GetOrFindAsync(huge, () => Find(SearchMatches.MaxIds));
        await searches.GetOrFindAsync(huge, () => Find(SearchMatches.MaxIds));
        Assert.Equal(7, finds);
    }
}
