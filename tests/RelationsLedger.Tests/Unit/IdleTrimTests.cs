using RelationsLedger.Platform;

namespace RelationsLedger.Tests.Unit;

/// <summary>When the idle trim collects: looks every 2.5 s, quiet after 10 s below 1 MB/s of allocation or once a
/// catch-up of 50,000 events or more has ended, 32 MB of growth.</summary>
public sealed class IdleTrimTests
{
    private const long Mb = 1 << 20;

    /// <summary>Looks at the rule every 2.5 s for <paramref name="seconds"/>, allocating <paramref name="mbPerSecond"/>
    /// meanwhile, the heap's committed bytes at <paramref name="committedMb"/>; how many looks said "trim".</summary>
    private sealed class Process(double committedMb = 200)
    {
        private readonly IdleTrim.Quiet _quiet = new(TimeSpan.FromSeconds(10), 1, 32, 0, 0);
        private long _now, _allocated, _work, _lastWork;
        public long CommittedMb = (long)committedMb;

        /// <param name="workPerSecond">background work items (events the projection applies) meanwhile</param>
        public int Run(double seconds, double mbPerSecond, int workPerSecond = 0)
        {
            var trims = 0;
            for (var t = 0.0; t < seconds; t += 2.5)
            {
                (_now, _allocated) = (_now + 2_500, _allocated + (long)(mbPerSecond * 2.5 * Mb));
                if (workPerSecond > 0) (_work, _lastWork) = (_work + (long)(workPerSecond * 2.5), _now);
                if (!_quiet.TimeToTrim(_now, _allocated, CommittedMb * Mb, _work, _lastWork)) continue;
                trims++;
                _quiet.Trimmed(_allocated, CommittedMb * Mb);
            }
            return trims;
        }
    }

    [Fact]
    public void a_busy_spell_then_quiet_brings_one_collection_and_no_more_until_more_work()
    {
        var process = new Process();
        Assert.Equal(0, process.Run(60, mbPerSecond: 200));
        Assert.Equal(0, process.Run(7.5, mbPerSecond: 0));
        Assert.Equal(1, process.Run(5, mbPerSecond: 0));
        Assert.Equal(0, process.Run(120, mbPerSecond: 0));
        process.CommittedMb += 100;
        Assert.Equal(0, process.Run(5, mbPerSecond: 50));
        Assert.Equal(1, process.Run(15, mbPerSecond: 0));
    }

    [Fact]
    public void a_dashboard_polling_now_and_then_does_not_hold_the_collection_off()
    {
        var process = new Process();
        Assert.Equal(0, process.Run(60, mbPerSecond: 200));
        // a status poll every few seconds: tens of kilobytes a second
        Assert.Equal(1, process.Run(15, mbPerSecond: 0.05));
    }

    [Fact]
    public void a_quiet_spell_after_work_that_grew_the_heap_too_little_brings_no_collection()
    {
        var process = new Process();
        Assert.Equal(1, process.Run(15, mbPerSecond: 0));
        process.CommittedMb += 10;
        Assert.Equal(0, process.Run(5, mbPerSecond: 30));
        Assert.Equal(0, process.Run(30, mbPerSecond: 0));
    }

    [Fact]
    public void a_long_catch_up_that_ends_brings_one_collection_though_readers_keep_allocating()
    {
        var process = new Process();
        Assert.Equal(0, process.Run(60, mbPerSecond: 200, workPerSecond: 20_000));
        Assert.Equal(1, process.Run(2.5, mbPerSecond: 200));
        Assert.Equal(0, process.Run(60, mbPerSecond: 200));
        // the next catch-up is a spell of its own
        process.CommittedMb += 100;
        Assert.Equal(0, process.Run(10, mbPerSecond: 200, workPerSecond: 20_000));
        Assert.Equal(1, process.Run(2.5, mbPerSecond: 200));
    }

    [Fact]
    public void a_short_spell_of_background_work_or_one_that_grew_the_heap_too_little_brings_no_collection_while_readers_allocate()
    {
        var process = new Process();
        Assert.Equal(0, process.Run(2.5, mbPerSecond: 200, workPerSecond: 10_000));
        Assert.Equal(0, process.Run(60, mbPerSecond: 200));
        var settled = new Process();
        Assert.Equal(1, settled.Run(15, mbPerSecond: 0));
        settled.CommittedMb += 10;
        Assert.Equal(0, settled.Run(60, mbPerSecond: 200, workPerSecond: 20_000));
        Assert.Equal(0, settled.Run(60, mbPerSecond: 200));
    }

    [Fact]
    public async Task a_batch_of_background_work_in_progress_is_work_going_on_however_long_it_takes()
    {
        var work = new BackgroundWork();
        var release = new TaskCompletionSource();
        var batch = work.RunAsync(2_000, () => release.Task);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.True(Environment.TickCount64 - work.LastTick < 50);
        Assert.Equal(0, work.Items);
        release.SetResult();
        await batch;
        Assert.Equal(2_000, work.Items);
        var done = work.LastTick;
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(done, work.LastTick);
    }
}
