using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Platform;

/// <summary>Hands memory back once the process goes quiet. After a burst of work (a bulk import, the projection
/// catching up, a run of large reads) the GC keeps the heap it grew to until the next full collection, which a quiet
/// server may not need for hours. Quiet is measured where the heap grows, in allocation, not in requests: a dashboard
/// polling the status every few seconds allocates a trickle, and holding the trim off while anyone had it open kept a
/// bulk import's heap for as long. When the process has allocated less than
/// <c>Ledger:Memory:BusyAboveMegabytesPerSecond</c> (default 1) for <c>Ledger:Memory:TrimAfterIdleSeconds</c>
/// (default 10; 0 turns it off) after a busier spell, one aggressive, compacting collection returns the free part of
/// the heap to the operating system — and only when the heap's committed memory has grown by
/// <c>Ledger:Memory:TrimAfterGrowthMegabytes</c> (default 32) since the last one, so a little work now and then does
/// not buy a full collection each time. A long spell of <see cref="BackgroundWork"/> (the async projection catching up
/// after an import: <see cref="Quiet.WorkSpell"/> events or more) that has ended — no batch for two seconds — counts as
/// quiet too, though requests may be allocating: the heap the catch-up grew is handed back then, not once the readers
/// have gone (the benchmark's API right after a 1.3-million-event catch-up and its reads: 477 → 332–340 MB). Before
/// the collection, the history cache drops what only the projection used (<see cref="HistoryCache.DropUnread"/>).</summary>
public sealed class IdleTrim(IConfiguration configuration, BackgroundWork work, HistoryCache histories, ILogger<IdleTrim> logger) : BackgroundService
{
    /// <summary>Collections made so far.</summary>
    public int Trims { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromSeconds(configuration.GetValue("Ledger:Memory:TrimAfterIdleSeconds", 10.0));
        if (idle <= TimeSpan.Zero) return;
        var quiet = new Quiet(idle, configuration.GetValue("Ledger:Memory:BusyAboveMegabytesPerSecond", 1.0),
            configuration.GetValue("Ledger:Memory:TrimAfterGrowthMegabytes", 32.0), Environment.TickCount64, GC.GetTotalAllocatedBytes());
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Min(idle.Ticks / 4, TimeSpan.TicksPerSecond)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!quiet.TimeToTrim(Environment.TickCount64, GC.GetTotalAllocatedBytes(), GC.GetGCMemoryInfo().TotalCommittedBytes, work.Items, work.LastTick)) continue;
            Trims++;
            var before = Environment.WorkingSet;
            var dropped = histories.DropUnread();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            quiet.Trimmed(GC.GetTotalAllocatedBytes(), GC.GetGCMemoryInfo().TotalCommittedBytes);
            logger.LogDebug("idle: {Dropped} cached events only the projection used dropped; working set {Before} → {After} MB", dropped, before >> 20, Environment.WorkingSet >> 20);
        }
    }

    /// <summary>The rule, apart from the clock and the GC: fed the time (ms), the bytes allocated so far and the
    /// heap's committed bytes at each look, it says when to trim. The spell before the first look (start-up) is busy.</summary>
    public sealed class Quiet(TimeSpan idle, double busyMegabytesPerSecond, double growthMegabytes, long now, long allocated)
    {
        /// <summary>Background work of at least this many items, with none for <see cref="WorkQuietMs"/>, is a spell that ended.</summary>
        public const long WorkSpell = 50_000, WorkQuietMs = 2_000;

        private readonly double _busyBytesPerMs = busyMegabytesPerSecond * (1 << 20) / 1000;
        private readonly long _growth = (long)(growthMegabytes * (1 << 20));
        private long _lastLook = now, _allocated = allocated, _lastBusy = now, _trimmedFor = long.MinValue, _committedAfterTrim, _workSeen;

        /// <param name="work">background work items done so far</param>
        /// <param name="lastWork">when the last of them was done (ms)</param>
        public bool TimeToTrim(long now, long allocated, long committed, long work, long lastWork)
        {
            if (allocated - _allocated > _busyBytesPerMs * Math.Max(now - _lastLook, 1)) _lastBusy = now;
            (_lastLook, _allocated) = (now, allocated);
            var spellEnded = work - _workSeen >= WorkSpell && now - lastWork >= WorkQuietMs;
            if (spellEnded) _workSeen = work;
            else if (_lastBusy == _trimmedFor || now - _lastBusy < idle.TotalMilliseconds) return false;
            else _trimmedFor = _lastBusy;
            return _growth <= 0 || committed - _committedAfterTrim >= _growth;
        }

        /// <summary>After the collection: its own allocation is not work, and growth counts from here.</summary>
        public void Trimmed(long allocated, long committed) => (_allocated, _committedAfterTrim) = (allocated, committed);
    }
}

/// <summary>Work done off the request path, counted where it is done (the summary projection, per batch of events
/// applied), for <see cref="IdleTrim"/>: a batch in progress is work going on, however long it takes.</summary>
public sealed class BackgroundWork
{
    private long _items, _lastTick, _running;

    public long Items => Interlocked.Read(ref _items);

    /// <summary>When work was last done (ms, <see cref="Environment.TickCount64"/>): now, while some is in progress.</summary>
    public long LastTick => Interlocked.Read(ref _running) > 0 ? Environment.TickCount64 : Interlocked.Read(ref _lastTick);

    public async Task RunAsync(int items, Func<Task> batch)
    {
        Interlocked.Increment(ref _running);
        try { await batch(); }
        finally
        {
            Interlocked.Add(ref _items, items);
            Interlocked.Exchange(ref _lastTick, Environment.TickCount64);
            Interlocked.Decrement(ref _running);
        }
    }
}

public static class IdleTrimming
{
    public static IServiceCollection AddIdleTrim(this IServiceCollection services) =>
        services.AddSingleton<IdleTrim>().AddHostedService(sp => sp.GetRequiredService<IdleTrim>());
}
