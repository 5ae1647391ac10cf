using System.Security.Cryptography;
using System.Text;

namespace RelationsLedger.Relations.Replaying;

/// <summary>HTTP caching of reads. A read pinned by asOf and a basis the pair has already passed can never change:
/// strong ETag, cached for a year. Any other read carries an ETag on the pair's stream version (and the date it
/// was read for), so a client revalidates and gets 304 until something is appended.</summary>
public static class ReadCache
{
    public const string Immutable = "public, max-age=31536000, immutable";

    public static string Tag(HttpRequest request, params object?[] basis)
    {
        var text = $"{request.Path}?{string.Join('&', request.Query.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => $"{q.Key}={q.Value}"))}|{string.Join('|', basis)}";
        return $"\"{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 18).Replace('+', '-').Replace('/', '_')}\"";
    }

    /// <summary>Sets ETag and Cache-Control; true when the client's copy is current (answer 304).</summary>
    public static bool NotModified(HttpContext context, string tag, bool immutable)
    {
        context.Response.Headers.ETag = tag;
        context.Response.Headers.CacheControl = immutable ? Immutable : "no-cache";
        return context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Select(t => t.Trim()).Contains(tag));
    }

    public static IResult Unchanged => Results.StatusCode(StatusCodes.Status304NotModified);
}
