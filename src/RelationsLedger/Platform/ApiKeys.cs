using System.Security.Cryptography;
using System.Text;

namespace RelationsLedger.Platform;

/// <summary>Who may write: keys from <c>Ledger:ApiKey</c> (named "default") and <c>Ledger:ApiKeys</c> (name → SHA-256 hex
/// of the key). With none configured, a key is generated when the web app first starts (verbs make none); only its hash
/// is kept, in the data directory.</summary>
public sealed class ApiKeys
{
    public const string Header = "X-Api-Key";
    private readonly IReadOnlyList<(string Name, byte[] Hash)> _keys;

    public ApiKeys(IConfiguration configuration, ILogger<ApiKeys> logger)
    {
        var keys = new List<(string, byte[])>();
        if (configuration["Ledger:ApiKey"] is { Length: > 0 } single) keys.Add(("default", Hash(single)));
        foreach (var entry in configuration.GetSection("Ledger:ApiKeys").GetChildren())
            if (!Relations.Recording.Stamp.IsWriterName(entry.Key))
                logger.LogWarning("Ledger:ApiKeys:{Name}: a key's name is its events' writer and must be {Rule}; ignored", entry.Key, Relations.Recording.Stamp.WriterRule);
            else if (FromHex(entry.Value) is { } hash) keys.Add((entry.Key, hash));
            else logger.LogWarning("Ledger:ApiKeys:{Name} is not a SHA-256 hex hash; ignored", entry.Key);
        if (keys.Count == 0) keys.Add(("generated", GeneratedKeyHash(configuration, logger)));
        _keys = keys;
    }

    /// <summary>The name of the key presented, or null. Every stored hash is compared, in constant time.</summary>
    public string? NameOf(string presented)
    {
        var hash = Hash(presented);
        string? name = null;
        foreach (var (keyName, keyHash) in _keys)
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash)) name ??= keyName;
        return name;
    }

    /// <summary>A SHA-256 hash written as 64 hex digits; null for any other text.</summary>
    private static byte[]? FromHex(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : null;

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static byte[] GeneratedKeyHash(IConfiguration configuration, ILogger logger)
    {
        var folder = configuration["Ledger:DataDirectory"] ?? LocalPostgres.DefaultRoot();
        var file = Path.Combine(folder, "api-key.sha256");
        if (File.Exists(file))
        {
            if (FromHex(File.ReadAllText(file).Trim()) is { } kept) return kept;
            logger.LogWarning("{File} does not hold a SHA-256 hex hash: a new key is generated in its place", file);
        }
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(file, Convert.ToHexString(Hash(key)));
            logger.LogWarning("No API key configured: generated one for writes. It is shown only now; its hash is in {File}. X-Api-Key: {Key}", file, key);
            // shown even when the logs are turned down: a key never seen could never be used
            if (!logger.IsEnabled(LogLevel.Warning))
                Console.Error.WriteLine($"No API key configured: generated one for writes, shown only now (delete {file} for another). X-Api-Key: {key}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a read-only container: the key lives until the process stops; configure Ledger__ApiKey instead
            logger.LogWarning("No API key configured and {Folder} is not writable: generated one for this run only. X-Api-Key: {Key}", folder, key);
            if (!logger.IsEnabled(LogLevel.Warning)) Console.Error.WriteLine($"No API key configured: generated one for this run only. X-Api-Key: {key}");
        }
        return Hash(key);
    }
}

/// <summary>Writes need a key (401 without, 403 with a wrong one); reads too when <c>Ledger:ReadsRequireKey</c>.
/// The key's name, the request id and the client address go into each appended event's metadata.</summary>
public static class ApiKeyMiddleware
{
    public const string WriterItem = "ledger.writer";

    public static WebApplication UseApiKeys(this WebApplication app)
    {
        // read (and a generated key made and shown) when the app starts serving, not when a verb builds it: a key
        // shown to `help` or `seed` would be missed, and never shown again
        var keys = new Lazy<ApiKeys>(app.Services.GetRequiredService<ApiKeys>);
        app.Lifetime.ApplicationStarted.Register(() => _ = keys.Value);
        var readsRequireKey = app.Configuration.GetValue("Ledger:ReadsRequireKey", false);
        app.Use(async (context, next) =>
        {
            var method = context.Request.Method;
            var write = HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsPatch(method);
            var guarded = context.Request.Path.StartsWithSegments("/api") && (write || readsRequireKey) && !LedgerHttp.MethodNotMapped(context);
            if (!guarded)
            {
                await next(context);
                return;
            }
            var presented = context.Request.Headers[ApiKeys.Header].ToString();
            if (presented.Length == 0)
            {
                await Results.Problem(statusCode: 401, title: "An API key is required.", detail: $"Send it in the {ApiKeys.Header} header.").ExecuteAsync(context);
                return;
            }
            if (KeyNameOf(context) is null)
            {
                await Results.Problem(statusCode: 403, title: "This API key is not valid.").ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>The name of the valid key the request carries (kept for the request), or null: the rate limit, which
    /// comes first, counts a request by it, and the key check refuses a write without it.</summary>
    public static string? KeyNameOf(HttpContext context)
    {
        if (context.Items[WriterItem] is string known) return known;
        var presented = context.Request.Headers[ApiKeys.Header].ToString();
        if (presented.Length == 0 || context.RequestServices.GetRequiredService<ApiKeys>().NameOf(presented) is not { } name) return null;
        context.Items[WriterItem] = name;
        return name;
    }

    /// <summary>Who a request counts against, for the rate limit and the live streams' cap: its valid key, else its
    /// address (a wrong key, a guess at one, counts against the address).</summary>
    public static string ClientOf(HttpContext context) =>
        KeyNameOf(context) is { } key ? $"key:{key}" : $"address:{context.Connection.RemoteIpAddress}";

    /// <summary>Who wrote a request's events, stored as headers beside them.</summary>
    public static Relations.Recording.Stamp StampOf(HttpContext context) => new(
        context.Items[WriterItem] as string ?? "anonymous", context.TraceIdentifier, context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
        System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier);
}
