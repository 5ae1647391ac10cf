using System.Collections.Concurrent;
using System.Reflection;
using RelationsLedger.Relations.Recording;
using Wolverine.Http;

namespace RelationsLedger.Platform;

/// <summary>A query parameter that an API endpoint does not take is a 400 naming it and the ones the endpoint takes.
/// Ignored, a misspelt filter answered as if it were not there — <c>/api/sanctions?imposed_by=US</c> the whole
/// register, <c>state?as_of=2022-01-01</c> today's state — with nothing but the answer's echoed fields to say so; a
/// compliance screening read from it would be wrong. Names are read in any case, as the endpoints read them.</summary>
public static class QueryNames
{
    /// <summary>The query parameters of each endpoint's method, in its order: its text parameters that are not route values.</summary>
    private static readonly ConcurrentDictionary<MethodInfo, string[]> Taken = new();

    public static WebApplication UseKnownQueryNames(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (!context.Request.QueryString.HasValue || context.GetEndpoint() is not RouteEndpoint endpoint
                || endpoint.Metadata.GetMetadata<HttpChain>() is not { } chain)
                return next(context);
            var taken = Taken.GetOrAdd(chain.Method.Method, m => Of(m, endpoint.RoutePattern.Parameters.Select(p => p.Name)));
            var problems = new Problems();
            foreach (var name in context.Request.Query.Keys)
                if (name.Length > 0 && !taken.Contains(name, StringComparer.OrdinalIgnoreCase))
                    problems.Add(LedgerResults.Truncate(name), taken.Length == 0
                        ? "Not a parameter: this endpoint takes none."
                        : $"Not a parameter of this endpoint, which takes {string.Join(", ", taken)}.");
            return problems.Count == 0 ? next(context) : LedgerResults.Invalid(problems, "Unknown query parameter.").ExecuteAsync(context);
        });
        return app;
    }

    internal static string[] Of(MethodInfo method, IEnumerable<string> routeValues)
    {
        var route = routeValues.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return [.. method.GetParameters().Where(p => p.ParameterType == typeof(string) && !route.Contains(p.Name!)).Select(p => p.Name!)];
    }
}
