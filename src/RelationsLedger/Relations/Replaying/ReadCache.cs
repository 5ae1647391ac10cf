using System.Security.Cryptography;
using System.Text;

namespace RelationsLedger.Relations.Replaying;

/// <summary>HTTP caching of reads. A read pinned by asOf and an instant or a basis the ledger had settled before it
/// read (<see cref="Foldable.Fixed"/>) can never change: strong ETag, cached for a year. Any other read carries a weak ETag on the pair's stream version (and the date it
/// was read for), so a client revalidates and gets 304 until something is appended — weak, since such an answer says
/// when it was read (<c>knownAt</c>: now), so two reads on one version are the same answer, not the same bytes.</summary>
public static class ReadCache
{
    public const string Immutable = "public, max-age=31536000, immutable";

    public static string Tag(HttpRequest request, params object?[] basis)
    {
        var text = $"{request.Path}?{string.Join('&', request.Query.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => $"{q.Key}={q.Value}"))}|{string.Join('|', basis)}";
        return $"\"{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 18).Replace('+', '-').Replace('/', '_')}\"";
    }

    /// <summary>Sets ETag and Cache-Control; true when the client's copy is current (answer 304). If-None-Match
    /// compares weakly (RFC 9110 §13.1.2): <c>W/"x"</c> matches <c>"x"</c>, and <c>*</c> matches any.</summary>
    public static bool NotModified(HttpContext context, string tag, bool immutable)
    {
        context.Response.Headers.ETag = immutable ? tag : "W/" + tag;
        context.Response.Headers.CacheControl = immutable ? Immutable : "no-cache";
        return context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Select(t => t.Trim()).Any(t => t == "*" || (t.StartsWith("W/") ? t[2..] : t) == tag));
    }

    public static IResult Unchanged => Results.StatusCode(StatusCodes.Status304NotModified);
}
