using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;

namespace RelationsLedger.Tests.Unit;

public sealed class RecentSummariesTests
{
    private static RelationshipSummary Summary(string pair, long sequence) =>
        new(pair, RelationshipState.Empty, sequence, 1, null, DateOnly.MinValue, null);

    [Fact]
    public void a_summary_is_taken_only_at_its_own_sequence_and_the_least_recently_stored_pair_goes_first()
    {
        var recent = new RecentSummaries(2);
        var first = Summary("BY-US", 10);
        recent.Put(first);
        Assert.Same(first, recent.At("BY-US", 10));
        // the stored row is elsewhere (a batch that failed, another node, a rebuild): load it
        Assert.Null(recent.At("BY-US", 9));
        Assert.Null(recent.At("BY-US", 11));
        Assert.Null(recent.At("LT-US", 10));

        var newer = Summary("BY-US", 12);
        recent.Put(newer);
        Assert.Null(recent.At("BY-US", 10));
        Assert.Same(newer, recent.At("BY-US", 12));

        recent.Put(Summary("LT-US", 5));
        recent.Put(Summary("BY-US", 13));
        recent.Put(Summary("PL-US", 7));
        Assert.Null(recent.At("LT-US", 5));
        Assert.NotNull(recent.At("BY-US", 13));
        Assert.NotNull(recent.At("PL-US", 7));
    }
}
