using System.Diagnostics;
using System.Text.Json;
using JasperFx;
using Marten;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RelationsLedger.Relations;
using Wolverine.Http;

namespace RelationsLedger.Platform;

public static class LedgerHttp
{
    public const int MaxBodyBytes = 262_144;

    public static IServiceCollection AddLedgerHttp(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeys>();
        services.AddHealthChecks().AddCheck<DatabaseReady>("database", tags: ["ready"]);
        services.AddWolverineHttp();
        return services;
    }

    /// <summary>The options of <see cref="ConfigureJson"/>, for the parts of an answer written ahead of it (a register
    /// row, a diff's rows), so a sanctions row reads the same in a state, a diff and the register.</summary>
    public static readonly JsonSerializerOptions AnswerOptions = ConfigureJson(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>The JSON of HTTP answers: the ledger's naming, and every property written (a null says "not known").</summary>
    public static JsonSerializerOptions ConfigureJson(JsonSerializerOptions options)
    {
        LedgerJson.Configure(options);
        options.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        return options;
    }

    /// <summary>Every failure answers as ProblemDetails; concurrency is 409 and a database that does not answer is 503.</summary>
    public static WebApplication UseLedgerErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = StatusFor,
        });
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>The name ASP.NET Core's routing gives the endpoint that answers a method no route there is mapped for.</summary>
    private const string MethodNotAllowed = "405 HTTP Method Not Supported";

    /// <summary>Whether routing answers the request 405: no route of its path takes its method (a key changes nothing there).</summary>
    public static bool MethodNotMapped(HttpContext context) => context.GetEndpoint()?.DisplayName == MethodNotAllowed;

    /// <summary>Reads only: another method is routing's 405, whose Allow names GET and HEAD.</summary>
    public static TBuilder ForReads<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));

    private const string HeadItem = "ledger.head";

    /// <summary>Whether the request came as HEAD (it is routed as GET): an answer that never ends, a stream of events,
    /// ends after its headers instead, or it would hold the connection, and the next request on it, until the client left.</summary>
    public static bool AskedHead(HttpContext context) => context.Items.ContainsKey(HeadItem);

    /// <summary>HEAD is GET without the body (RFC 9110 §9.3.2): a client checks an ETag or a size without the answer.
    /// Routes are mapped for GET only, so a HEAD request is routed as one (routing runs here, after the rewrite);
    /// Kestrel still knows it was HEAD, sends the headers and drops what the endpoint writes. Routing's 405 lists the
    /// methods the routes are mapped for, so HEAD is added beside GET there.</summary>
    public static WebApplication UseHeadAsGet(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method))
            {
                context.Request.Method = HttpMethods.Get;
                context.Items[HeadItem] = true;
            }
            return next(context);
        });
        app.UseRouting();
        // only routing's 405 endpoint is touched: every other request passes with one comparison, no await
        app.Use((context, next) =>
        {
            if (MethodNotMapped(context))
                context.Response.OnStarting(() =>
                {
                    var allow = context.Response.Headers.Allow.ToString().Split(", ");
                    if (allow.Contains(HttpMethods.Get) && !allow.Contains(HttpMethods.Head))
                        context.Response.Headers.Allow = string.Join(", ", allow.Append(HttpMethods.Head));
                    return Task.CompletedTask;
                });
            return next(context);
        });
        return app;
    }

    public static int StatusFor(Exception ex) => ex switch
    {
        ConcurrencyException or ExistingStreamIdCollisionException => 409,
        BadHttpRequestException bad => bad.StatusCode,
        JsonException => 400,
        MartenCommandException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } } => 409,
        NpgsqlException or TimeoutException or MartenCommandException { InnerException: NpgsqlException or TimeoutException } => 503,
        OperationCanceledException => 499,
        _ => 500,
    };

    public static WebApplication MapLedgerHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).ForReads();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteChecksAsync }).ForReads();
        return app;
    }

    /// <summary>Readiness says which check failed and why (the lag, a database that does not answer), not only
    /// "Unhealthy": an operator reads it from the probe's log. No exception text: the endpoint answers anyone.</summary>
    private static Task WriteChecksAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, HealthJson));
    }

    private static readonly JsonSerializerOptions HealthJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Ready when the database answers and the event store's tables exist.</summary>
    private sealed class DatabaseReady(IDocumentStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var session = store.QuerySession();
                var schema = store.Options.Events.DatabaseSchemaName;
                var tables = await session.QueryAsync<int>(
                    "select count(*)::int from information_schema.tables where table_schema = ? and table_name in ('mt_events', 'mt_streams')",
                    cancellationToken, schema);
                return tables.Single() == 2 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("event store schema not applied");
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or MartenCommandException)
            {
                return HealthCheckResult.Unhealthy("database does not answer", ex);
            }
        }
    }
}
