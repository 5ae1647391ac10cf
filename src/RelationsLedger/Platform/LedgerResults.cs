using System.Text.Json;
using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Platform;

/// <summary>The answers every endpoint shares: RFC 7807 problems and JSON bodies read with limits.</summary>
public static class LedgerResults
{
    public const string NotAnEvent = "The request is not a valid ledger event.";

    public static IResult Invalid(Problems problems, string title = NotAnEvent) =>
        TypedResults.ValidationProblem(problems, title: title, type: "https://tools.ietf.org/html/rfc9110#section-15.5.1");

    public static IResult Problem(int status, string title, string? detail = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    public static IResult BadPair(string pair) => Invalid(
        new Problems { { "pair", $"'{Truncate(pair)}' is not two ISO 3166-1 alpha-2 codes joined by '-', e.g. US-BY." } },
        "Unknown pair of countries.");

    public static IResult NotFound(string what) => Problem(404, "Not found.", what);

    /// <summary>200 with a JSON body serialized in one go into a pooled buffer and sent with its Content-Length: a
    /// large read (a state of hundreds of rows) otherwise goes out through the serializer's resumable async path, a
    /// flush per 16 KiB (app CPU per 100,000-event state read 7.4 → 4.7 ms with the generated serializer below), and
    /// chunked, so a client cannot size its buffer for the answer.</summary>
    public static IResult Json<T>(T value) => new JsonBody<T>(value);

    /// <summary>Writes a read answer: with the code generated for it at build time (<see cref="AnswerJson"/>) when there
    /// is some, else by the HTTP options' reflection; the two write the same bytes (tested).</summary>
    public static void WriteJson<T>(IBufferWriter<byte> output, T value, JsonSerializerOptions options)
    {
        var info = AnswerJson.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T> ?? (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
        JsonSerializer.Serialize(writer, value, info);
    }

    private sealed class JsonBody<T>(T value) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            using var body = new PooledBuffer();
            WriteJson(body, value, context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Written.Length;
            await context.Response.BodyWriter.WriteAsync(body.Written, context.RequestAborted);
        }
    }

    /// <summary>application/json or application/*+json, with no charset or UTF-8's: the body is read as UTF-8.</summary>
    public static bool IsJson(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media) || media.SubType.Value is not { } subtype
            || !media.Type.Equals("application", StringComparison.OrdinalIgnoreCase)
            || !(subtype.Equals("json", StringComparison.OrdinalIgnoreCase) || subtype.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            return false;
        // charset="UTF-8" is the same parameter as charset=UTF-8 (RFC 9110, 5.6.6)
        var charset = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Charset);
        return charset.Value is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads a JSON body: 415 for another content type, 413 past the size limit, 400 for malformed JSON.</summary>
    public static async Task<(RequestJson? Body, IResult? Problem)> ReadJson(HttpRequest request, CancellationToken ct)
    {
        if (!IsJson(request.ContentType))
            return (null, Problem(415, "Unsupported media type.", "Send the event as application/json (or a +json type), in UTF-8: no other charset."));
        if (request.ContentLength > LedgerHttp.MaxBodyBytes) return (null, TooLarge());
        // a body of the length it declares (one more byte for the read that finds its end), else grown as it comes
        var buffer = new PooledBuffer(request.ContentLength is { } length ? (int)length + 1 : 16_384);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.GetMemory(), ct)) > 0)
            {
                buffer.Advance(read);
                if (buffer.Written.Length > LedgerHttp.MaxBodyBytes) return (null, TooLarge());
            }
            var body = new RequestJson(JsonDocument.Parse(buffer.Written, Relations.LedgerJson.Submitted), buffer);
            buffer = null;
            return (body, null);
        }
        // a chunked body past Kestrel's own limit: the same answer, not an unhandled error in the log
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) { return (null, TooLarge()); }
        catch (JsonException ex)
        {
            return (null, Invalid(new Problems { { "$", $"Malformed JSON: {Relations.LedgerJson.Malformed(ex)}" } }, "The body is not valid JSON."));
        }
        finally
        {
            buffer?.Dispose();
        }
    }

    private static IResult TooLarge() =>
        Problem(413, "Payload too large.", $"Request bodies are limited to {LedgerHttp.MaxBodyBytes} bytes.");

    public static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>A request's JSON, parsed where it was read: a pooled buffer, which goes back to the pool with the
    /// document (an append's body was read through a fresh 16 KB chunk, a growing copy and a copy of that: 19 KB of
    /// each request's 50, a third of the app's allocations under the appends' load).</summary>
    public sealed class RequestJson : IDisposable
    {
        private readonly JsonDocument _document;
        private PooledBuffer? _buffer;

        internal RequestJson(JsonDocument document, PooledBuffer buffer) => (_document, _buffer) = (document, buffer);

        public JsonElement RootElement => _document.RootElement;

        public void Dispose()
        {
            _document.Dispose();
            Interlocked.Exchange(ref _buffer, null)?.Dispose();
        }
    }
}
