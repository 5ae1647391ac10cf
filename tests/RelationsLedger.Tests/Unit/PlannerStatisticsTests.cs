using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Tests.Unit;

/// <summary>When bulk writes call for fresh planner statistics: half the event table new since the last ones, and at least 10,000 rows.</summary>
public sealed class PlannerStatisticsTests
{
    [Theory]
    [InlineData(10_000, 10_000, true)]     // a new ledger's first bulk import
    [InlineData(500_000, 1_000_000, true)] // the ledger doubled since its statistics
    [InlineData(9_999, 9_999, false)]      // too few rows to matter: autovacuum's pace is enough
    [InlineData(400_000, 1_000_000, false)] // most of the table is as the statistics saw it
    [InlineData(0, 0, false)]
    public void statistics_are_refreshed_once_half_the_table_is_new(long newRows, long liveRows, bool stale) =>
        Assert.Equal(stale, PlannerStatistics.Stale(newRows, liveRows));

    [Fact]
    public void a_ledger_growing_from_empty_to_a_million_events_is_analyzed_about_once_per_doubling()
    {
        long analyzedAt = 0, analyzes = 0;
        for (long rows = 1_000; rows <= 1_000_000; rows += 1_000)
            if (PlannerStatistics.Stale(rows - analyzedAt, rows)) (analyzedAt, analyzes) = (rows, analyzes + 1);
        Assert.InRange(analyzes, 6, 8);
    }
}
