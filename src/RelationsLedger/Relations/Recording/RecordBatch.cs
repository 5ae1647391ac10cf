using System.Text.Json;
using RelationsLedger.Platform;
using Wolverine.Http;

namespace RelationsLedger.Relations.Recording;

public static class RecordBatch
{
    public const int MaxBatch = 1000;

    private const string Invalid = "The batch has invalid events; nothing was recorded.";

    /// <summary>Appends an array of events atomically: all are recorded, or none (per-item errors keyed "[i].field").</summary>
    [WolverinePost("/api/relations/{pair}/events/batch")]
    public static async Task<IResult> Post(string pair, HttpRequest request, Appending appending, TimeProvider clock, CancellationToken ct)
    {
        var (write, problem) = await WriteRequest.ReadAsync(pair, request, clock, ct);
        if (write is null) return problem!;
        using var _ = write;
        var (p, today) = (write.Pair, write.Today);
        var problems = new Problems();
        var root = write.Body.RootElement;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() is 0 or > MaxBatch)
        {
            problems.Add("$", $"A batch is a JSON array of 1 to {MaxBatch} events.");
            return LedgerResults.Invalid(problems);
        }
        var submissions = root.EnumerateArray().Select((item, i) => SubmissionReader.Read(item, today, problems, $"[{i}]")).ToList();
        // an id given twice, beside every other problem of the items, invalid ones too (as given, not as read)
        Appending.AddRepeatedIds([.. root.EnumerateArray().Select(item =>
            item.ValueKind == JsonValueKind.Object && item.TryGetProperty("eventId", out var given) && given.ValueKind == JsonValueKind.String
            && Guid.TryParseExact(given.GetString(), "D", out var id) ? id : (Guid?)null)], i => $"[{i}].", problems);
        if (submissions.Count > 1)
            for (var i = 0; i < submissions.Count; i++)
                if (submissions[i]?.ExpectedVersion is not null)
                    problems.Add($"[{i}].expectedVersion", "In a batch, give the expected version once, in the If-Match header.");
        var expectedVersion = RecordEvent.ExpectedVersion(request, submissions.Count == 1 ? submissions[0]?.ExpectedVersion : null, problems);
        var idempotencyKey = RecordEvent.IdempotencyKey(request, problems);
        if (problems.Count > 0) return LedgerResults.Invalid(problems, Invalid);
        var keyed = submissions.Select((s, i) => s!.KeyedBy(idempotencyKey, p, request.HttpContext, i)).ToList();

        var outcome = await appending.AppendAsync(p, keyed, expectedVersion, today, ApiKeyMiddleware.StampOf(request.HttpContext), ct, i => $"[{i}].");
        return RecordEvent.Answer(outcome, receipts => TypedResults.Created($"/api/relations/{p.Id}/timeline", new { events = receipts }), Invalid);
    }
}
