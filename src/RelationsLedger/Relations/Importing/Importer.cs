using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Relations.Importing;

public sealed record ImportLine(int Number, JsonNode? Json);

public sealed record ImportResult(int Appended, int AlreadyPresent, Problems Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>Loads files of events (NDJSON, or one JSON array): every line is validated as the HTTP API validates it,
/// nothing is appended if any line is invalid, and events already recorded (same id, same body) are skipped — so a
/// file can be imported again, and seeds load idempotently.</summary>
public static class Importer
{
    public const int Chunk = 1000;

    public static IEnumerable<ImportLine> ReadLines(TextReader reader)
    {
        var first = reader.Peek();
        while (first is ' ' or '\n' or '\r' or '\t') { reader.Read(); first = reader.Peek(); }
        if (first == '[')
        {
            var array = JsonNode.Parse(reader.ReadToEnd())!.AsArray();
            for (var i = 0; i < array.Count; i++) yield return new ImportLine(i + 1, array[i]);
            yield break;
        }
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException) { node = null; }
            yield return new ImportLine(number, node);
        }
    }

    public static async Task<ImportResult> ImportAsync(IDocumentStore store, IEnumerable<ImportLine> lines, DateOnly today,
        Action<int>? progress = null, CancellationToken ct = default, string writer = "import")
    {
        var problems = new Problems();
        var parsed = new List<(Pair Pair, Submission Submission, int Line)>();
        foreach (var line in lines)
        {
            var prefix = $"line {line.Number}";
            if (line.Json is not JsonObject obj)
            {
                problems.Add(prefix, "Not a JSON object.");
                continue;
            }
            var body = (JsonObject)obj.DeepClone();
            var pairText = body["pair"]?.GetValueKind() == JsonValueKind.String ? (string?)body["pair"] : null;
            body.Remove("pair");
            body.Remove("recorded");
            if (!Pair.TryParse(pairText, out var pair))
            {
                problems.Add($"{prefix}.pair", "Each line names its pair, e.g. \"pair\":\"BY-US\".");
                continue;
            }
            var submission = SubmissionReader.Read(JsonSerializer.SerializeToElement(body), today, problems, prefix);
            if (submission is not null) parsed.Add((pair, submission, line.Number));
        }
        if (problems.Count > 0) return new ImportResult(0, 0, problems);

        int appended = 0, present = 0;
        foreach (var run in Runs(parsed))
        {
            await using var session = store.LightweightSession();
            session.SetHeader("writer", writer);
            var ids = run.Select(r => r.Submission.Event.Id).ToArray();
            var existing = (await session.Events.QueryAllRawEvents().Where(e => e.Id.IsOneOf(ids)).ToListAsync(ct)).Select(e => e.Id).ToHashSet();
            var fresh = run.Where(r => !existing.Contains(r.Submission.Event.Id)).ToList();
            present += run.Count - fresh.Count;
            if (fresh.Count > 0)
            {
                var outcome = await Appending.AppendAsync(session, run[0].Pair, fresh.Select(f => f.Submission).ToList(), null, today, ct,
                    i => $"line {fresh[i].Line}.");
                switch (outcome)
                {
                    case AppendOutcome.Rejected rejected:
                        foreach (var (field, messages) in rejected.Problems) foreach (var m in messages) problems.Add(field, m);
                        return new ImportResult(appended, present, problems);
                    case AppendOutcome.Conflict conflict:
                        problems.Add($"line {fresh[0].Line}", conflict.Detail);
                        return new ImportResult(appended, present, problems);
                }
                appended += fresh.Count;
            }
            progress?.Invoke(run.Count);
        }
        return new ImportResult(appended, present, problems);
    }

    /// <summary>Each pair's lines in file order, at most <see cref="Chunk"/> at a time: each run is one transaction.
    /// Pairs are independent streams, so grouping by pair keeps every ordering that matters.</summary>
    private static IEnumerable<List<(Pair Pair, Submission Submission, int Line)>> Runs(List<(Pair Pair, Submission Submission, int Line)> lines) =>
        lines.GroupBy(l => l.Pair.Id).SelectMany(pair => pair.Chunk(Chunk).Select(chunk => chunk.ToList()));
}
