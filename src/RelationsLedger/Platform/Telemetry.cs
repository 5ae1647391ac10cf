using System.Diagnostics.Metrics;
using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Platform;

/// <summary>The ledger's own instruments: events appended by type, as-of read latency, projection lag.</summary>
public sealed class LedgerMetrics
{
    public const string MeterName = "RelationsLedger";
    private readonly Counter<long> _appended;
    private readonly Histogram<double> _asOf;

    public LedgerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _appended = meter.CreateCounter<long>("ledger.events.appended", "{event}", "Events appended, by type");
        _asOf = meter.CreateHistogram<double>("ledger.asof.duration", "ms", "Time to answer an as-of state read");
        meter.CreateObservableGauge("ledger.projection.lag.events", () => Lag.Events, "{event}", "Events the slowest async projection has still to apply");
        meter.CreateObservableGauge("ledger.projection.lag.seconds", () => Lag.Seconds, "s", "Age of the oldest event an async projection has not applied");
    }

    public ProjectionLag Lag { get; set; } = new(0, 0, [], null);

    public void Appended(string type) => _appended.Add(1, new KeyValuePair<string, object?>("type", type));

    public void AsOfRead(TimeSpan elapsed) => _asOf.Record(elapsed.TotalMilliseconds);
}

public sealed record ProjectionLag(long Events, double Seconds, IReadOnlyList<Dashboards.ProjectionPosition> Projections, JasperFx.Events.IEvent? Last)
{
    /// <summary>How far each async projection is behind the newest event, in events and in seconds.</summary>
    public static async Task<ProjectionLag> MeasureAsync(IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var last = (await Reading.AllRecorded(session).OrderByDescending(e => e.Sequence).Take(1).ToListAsync(ct)).FirstOrDefault();
        var highWaterMark = last?.Sequence ?? 0;
        var progress = (await store.Advanced.AllProjectionProgress(token: ct))
            .Where(p => !p.ShardName.Contains("HighWaterMark", StringComparison.Ordinal))
            .Select(p => new Dashboards.ProjectionPosition(p.ShardName, p.Sequence, Math.Max(0, highWaterMark - p.Sequence))).ToList();
        var slowest = progress.Count == 0 ? highWaterMark : progress.Min(p => p.Sequence);
        var seconds = 0.0;
        if (slowest < highWaterMark)
        {
            var oldest = (await Reading.AllRecorded(session).Where(e => e.Sequence > slowest).OrderBy(e => e.Sequence).Take(1).ToListAsync(ct)).FirstOrDefault();
            if (oldest is not null) seconds = Math.Max(0, (clock.GetUtcNow() - oldest.Timestamp).TotalSeconds);
        }
        return new ProjectionLag(highWaterMark - slowest, seconds, progress, last);
    }
}

/// <summary>Ready also means the async projections keep up: unhealthy past <c>Ledger:Health:MaxProjectionLag</c> events.</summary>
public sealed class ProjectionsKeepUp(IDocumentStore store, TimeProvider clock, LedgerMetrics metrics, IConfiguration configuration) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var bound = configuration.GetValue("Ledger:Health:MaxProjectionLag", 10_000L);
        try
        {
            var lag = metrics.Lag = await ProjectionLag.MeasureAsync(store, clock, cancellationToken);
            return lag.Events <= bound
                ? HealthCheckResult.Healthy($"projection lag {lag.Events} events")
                : HealthCheckResult.Unhealthy($"projection lag {lag.Events} events is over {bound}");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or Marten.Exceptions.MartenCommandException)
        {
            return HealthCheckResult.Unhealthy("database does not answer", ex);
        }
    }
}

/// <summary>Keeps the lag gauges current between health checks.</summary>
public sealed class LagSampler(IDocumentStore store, TimeProvider clock, LedgerMetrics metrics, ILogger<LagSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { metrics.Lag = await ProjectionLag.MeasureAsync(store, clock, stoppingToken); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogDebug(ex, "projection lag not measured"); }
        }
    }
}

public static class Telemetry
{
    /// <summary>Attribute sets kept per metric (OpenTelemetry's default is 2,000, allocated up front for each of the
    /// ≈ 70 metrics: 12 MB of the API's heap, ≈ 4 % of its memory, for series it never has). The widest here, request
    /// duration by route, method and status, has a few hundred; past the limit a series is counted as overflow.</summary>
    public const int SeriesPerMetric = 500;

    /// <summary>Traces and metrics (ASP.NET Core, Npgsql, Wolverine, Marten, the ledger's own), a Prometheus scrape
    /// endpoint, and OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set.</summary>
    public static IServiceCollection AddLedgerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LedgerMetrics>();
        services.AddHostedService<LagSampler>();
        services.AddHealthChecks().AddCheck<ProjectionsKeepUp>("projections", tags: ["ready"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("RelationsLedger"))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                .AddMeter(LedgerMetrics.MeterName, "Wolverine:RelationsLedger", "Marten", "Npgsql")
                .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = SeriesPerMetric })
                .AddPrometheusExporter());
        // traces have no reader but an OTLP collector: without one, no span is created (a listener makes every
        // request, command and message build spans nobody reads)
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            telemetry.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics"))
                    .AddNpgsql().AddSource("Wolverine").AddSource("Marten"))
                .UseOtlpExporter();
        return services;
    }

    public static WebApplication MapLedgerTelemetry(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").ForReads();
        return app;
    }
}
