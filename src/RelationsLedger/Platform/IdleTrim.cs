namespace RelationsLedger.Platform;

/// <summary>Hands memory back once the API goes quiet. After a burst of work (a bulk import, a run of large reads) the
/// GC keeps the heap it grew to until the next full collection, which a quiet server may not need for hours. When no
/// API request has come for <c>Ledger:Memory:TrimAfterIdleSeconds</c> (default 10; 0 turns it off) after some have, one
/// aggressive, compacting collection returns the free part of the heap to the operating system. Its pause falls in the
/// quiet, not in a burst; and only when the heap's committed memory has grown by
/// <c>Ledger:Memory:TrimAfterGrowthMegabytes</c> (default 32) since the last one, so a client that polls now and then
/// does not buy a full collection with each poll.</summary>
public sealed class IdleTrim(IConfiguration configuration, ILogger<IdleTrim> logger) : BackgroundService
{
    private long _lastRequest, _trimmedFor, _committedAfterTrim;

    /// <summary>Collections made so far.</summary>
    public int Trims { get; private set; }

    public void Seen() => Volatile.Write(ref _lastRequest, Environment.TickCount64);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromSeconds(configuration.GetValue("Ledger:Memory:TrimAfterIdleSeconds", 10.0));
        var growth = (long)(configuration.GetValue("Ledger:Memory:TrimAfterGrowthMegabytes", 32.0) * (1 << 20));
        if (idle <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(idle / 4);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var last = Volatile.Read(ref _lastRequest);
            if (last == _trimmedFor || Environment.TickCount64 - last < idle.TotalMilliseconds) continue;
            _trimmedFor = last;
            if (growth > 0 && GC.GetGCMemoryInfo().TotalCommittedBytes - _committedAfterTrim < growth) continue;
            Trims++;
            var before = Environment.WorkingSet;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _committedAfterTrim = GC.GetGCMemoryInfo().TotalCommittedBytes;
            logger.LogDebug("idle: working set {Before} → {After} MB", before >> 20, Environment.WorkingSet >> 20);
        }
    }
}

public static class IdleTrimming
{
    public static IServiceCollection AddIdleTrim(this IServiceCollection services) =>
        services.AddSingleton<IdleTrim>().AddHostedService(sp => sp.GetRequiredService<IdleTrim>());

    public static WebApplication UseIdleTrim(this WebApplication app)
    {
        var trim = app.Services.GetRequiredService<IdleTrim>();
        app.Use((context, next) =>
        {
            // the API's work only: health probes and metrics scrapes come every few seconds, and each would otherwise
            // be followed by a full collection once the probe interval exceeds the quiet period
            if (context.Request.Path.StartsWithSegments("/api")) trim.Seen();
            return next(context);
        });
        return app;
    }
}
