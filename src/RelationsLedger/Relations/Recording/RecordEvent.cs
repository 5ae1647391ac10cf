using System.Globalization;
using Microsoft.Net.Http.Headers;
using RelationsLedger.Platform;
using Wolverine.Http;

namespace RelationsLedger.Relations.Recording;

public static class RecordEvent
{
    /// <summary>Appends one event to the pair's stream: 201 with its receipt, or a problem and nothing appended.</summary>
    [WolverinePost("/api/relations/{pair}/events")]
    public static async Task<IResult> Post(string pair, HttpRequest request, Appending appending, TimeProvider clock, CancellationToken ct)
    {
        var (write, problem) = await WriteRequest.ReadAsync(pair, request, clock, ct);
        if (write is null) return problem!;
        using var _ = write;
        var (p, today) = (write.Pair, write.Today);
        var problems = new Problems();
        var submission = SubmissionReader.Read(write.Body.RootElement, today, problems);
        var expectedVersion = ExpectedVersion(request, submission?.ExpectedVersion, problems);
        var idempotencyKey = IdempotencyKey(request, problems);
        if (submission is null || problems.Count > 0) return LedgerResults.Invalid(problems);
        submission = submission.KeyedBy(idempotencyKey, p, request.HttpContext, 0);

        var outcome = await appending.AppendAsync(p, [submission], expectedVersion, today, ApiKeyMiddleware.StampOf(request.HttpContext), ct);
        return Answer(outcome, receipts => TypedResults.Created($"/api/events/{receipts[0].EventId}", receipts[0]));
    }

    /// <summary><c>expectedVersion</c> in the body, or <c>If-Match</c>: the stream version the client last saw.</summary>
    public static long? ExpectedVersion(HttpRequest request, long? fromBody, Problems problems)
    {
        if (!request.Headers.ContainsKey(HeaderNames.IfMatch)) return fromBody;
        var header = request.Headers.IfMatch.ToString().Trim().Trim('"');
        if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            problems.Add("If-Match", "Must be the stream version (a whole number ≥ 0).");
        else if (fromBody is { } body && body != version)
            problems.Add("If-Match", $"Says version {version} where the body's expectedVersion says {body}: give one, or the same.");
        else return version;
        return null;
    }

    /// <summary>The <c>Idempotency-Key</c> header, if any: a client's name for this attempt, safe to retry.</summary>
    public static string? IdempotencyKey(HttpRequest request, Problems problems)
    {
        var values = request.Headers["Idempotency-Key"];
        if (values.Count > 1)
        {
            problems.Add("Idempotency-Key", "Give one key per request.");
            return null;
        }
        if (values.Count == 0) return null;
        // an empty key would be no key: the retries it was sent to make safe would each be recorded
        var key = values.ToString();
        if (!string.IsNullOrWhiteSpace(key) && key.Length <= 200 && SubmissionReader.TextProblem(key) is null) return key;
        problems.Add("Idempotency-Key", "1 to 200 printable characters, not blank (or no header).");
        return null;
    }

    public static IResult Answer(AppendOutcome outcome, Func<IReadOnlyList<Appended>, IResult> created, string invalid = LedgerResults.NotAnEvent) => outcome switch
    {
        AppendOutcome.Done done => created(done.Events),
        AppendOutcome.Rejected rejected => LedgerResults.Invalid(rejected.Problems, invalid),
        AppendOutcome.Conflict conflict => LedgerResults.Problem(409, "Conflict.", conflict.Detail),
        _ => throw new InvalidOperationException(),
    };
}
