using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace RelationsLedger.Platform;

/// <summary>Bodies up to 256 KiB; a per-key (per-address without a key) rate limit on the API answering 429 with
/// Retry-After; CORS closed unless <c>Ledger:Cors:Origins</c> names the origins allowed.</summary>
public static class RequestLimits
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = LedgerHttp.MaxBodyBytes);
        var permits = configuration.GetValue("Ledger:RateLimit:PermitsPerMinute", 600);
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !context.Request.Path.StartsWithSegments("/api")
                    ? RateLimitPartition.GetNoLimiter("pages")
                    : RateLimitPartition.GetFixedWindowLimiter(
                        context.Items[ApiKeyMiddleware.WriterItem] as string ?? $"address:{context.Connection.RemoteIpAddress}",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await Results.Problem(statusCode: 429, title: "Too many requests.",
                    detail: $"At most {permits} requests a minute per key; retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.").ExecuteAsync(rejected.HttpContext);
            };
        });
        var origins = configuration.GetSection("Ledger:Cors:Origins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (origins.Length > 0)
                policy.WithOrigins(origins).WithMethods("GET", "POST")
                    .WithHeaders("Content-Type", ApiKeys.Header, "If-Match", "Idempotency-Key").WithExposedHeaders("Location", "ETag");
        }));
        return services;
    }

    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.UseCors();
        app.UseRateLimiter();
        return app;
    }
}
