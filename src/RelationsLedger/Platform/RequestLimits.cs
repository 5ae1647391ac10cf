using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace RelationsLedger.Platform;

/// <summary>Bodies up to 256 KiB, URLs up to 8,192 characters, headers up to 32 KiB and 100 fields; a per-key (per-address without a key) rate limit on the API answering 429 with
/// Retry-After; CORS closed unless <c>Ledger:Cors:Origins</c> names the origins allowed.</summary>
public static class RequestLimits
{
    public static IServiceCollection AddRequestLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestBodySize = LedgerHttp.MaxBodyBytes;
            // Kestrel answers a request past its own limits before any middleware, with an empty body: its limits sit
            // well above the app's, which answer with a problem (below)
            o.Limits.MaxRequestLineSize = 8 * MaxTargetLength;
            o.Limits.MaxRequestHeadersTotalSize = 4 * MaxHeaderBytes;
            o.Limits.MaxRequestHeaderCount = 10 * MaxHeaderCount;
            // a header's bytes that are not UTF-8 would be refused the same way: decoded with U+FFFD for them, the app
            // refuses them with a problem (below) that names the header
            o.RequestHeaderEncodingSelector = _ => System.Text.Encoding.UTF8;
        });
        var permits = configuration.GetValue("Ledger:RateLimit:PermitsPerMinute", 600);
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !context.Request.Path.StartsWithSegments("/api")
                    ? RateLimitPartition.GetNoLimiter("pages")
                    : RateLimitPartition.GetFixedWindowLimiter(
                        // the limit comes before the key check
                        ApiKeyMiddleware.ClientOf(context),
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await Results.Problem(statusCode: 429, title: "Too many requests.",
                    detail: $"At most {permits} requests a minute per key (per address without a valid one); retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.").ExecuteAsync(rejected.HttpContext);
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

    public const int MaxTargetLength = 8192;
    public const int MaxHeaderBytes = 32 * 1024, MaxHeaderCount = 100;

    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget.Length ?? 0;
            if (target > MaxTargetLength)
                return Results.Problem(statusCode: 414, title: "The URL is too long.", detail: $"At most {MaxTargetLength:N0} characters; this one has {target:N0}.").ExecuteAsync(context);
            // as HTTP/1.1 sends them: "name: value\r\n" (a loop: every request passes here, appends too)
            var (headers, lines) = (0, 0);
            string? notText = null;
            foreach (var (name, values) in context.Request.Headers)
            {
                headers += name.Length + 4;
                foreach (var value in values)
                {
                    headers += value?.Length ?? 0;
                    lines++;
                    // a key so written is a wrong key (403), as any other
                    if (value is not null && value.Contains('\uFFFD') && name != ApiKeys.Header) notText ??= name;
                }
            }
            if (headers > MaxHeaderBytes)
                return Results.Problem(statusCode: 431, title: "The request's headers are too large.", detail: $"At most {MaxHeaderBytes:N0} bytes in all; these take {headers:N0}.").ExecuteAsync(context);
            if (lines > MaxHeaderCount)
                return Results.Problem(statusCode: 431, title: "The request has too many headers.", detail: $"At most {MaxHeaderCount} header fields; this one has {lines}.").ExecuteAsync(context);
            if (notText is not null)
                return Results.Problem(statusCode: 400, title: "A header is not UTF-8 text.", detail: $"The {notText} header holds bytes that are not UTF-8 (or U+FFFD, the character that stands for them): send it as UTF-8, or as ASCII.").ExecuteAsync(context);
            return next(context);
        });
        app.UseCors();
        app.UseRateLimiter();
        return app;
    }
}
