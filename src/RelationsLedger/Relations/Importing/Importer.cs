using System.Text.Json;
using Marten;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Relations.Importing;

/// <summary>A line of a file as read, as UTF-8: parsed later, on every core, with its validation. <see cref="Problem"/>:
/// the file could not be split into lines (bytes that are not UTF-8, a JSON array that does not parse), said at the
/// line where it broke.</summary>
public sealed record ImportLine(int Number, ReadOnlyMemory<byte> Utf8, string? Problem = null)
{
    public const string NotUtf8 = "Not UTF-8 text: save the file as UTF-8.";

    /// <summary>UTF-8 that refuses what is not: bytes that are not UTF-8 when a file is read, a lone surrogate when text is encoded.</summary>
    internal static readonly System.Text.UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    /// <summary>A line read as text (a lone surrogate, which no UTF-8 holds, is the same problem as bytes that are not UTF-8).</summary>
    public ImportLine(int number, string text) : this(number, Encoded(text, out var problem), problem) { }

    public static ImportLine Broken(int number, string problem) => new(number, ReadOnlyMemory<byte>.Empty, problem);

    private static byte[] Encoded(string text, out string? problem)
    {
        problem = null;
        try { return Strict.GetBytes(text); }
        catch (System.Text.EncoderFallbackException) { problem = NotUtf8; return []; }
    }
}

/// <summary>A line validated: the event it submits to its pair (and, for a restore, where and when it was recorded).</summary>
public readonly record struct ParsedLine(Pair Pair, Submission Submission, int Line, RecordedAs? Recorded = null);

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

    /// <summary>Who an import's events were recorded by (a restore keeps each line's own).</summary>
    public const string Writer = "import";

    /// <summary>Fields a line of a file may carry besides the API's envelope: its pair, and what an export adds.</summary>
    private static readonly HashSet<string> FileFields = ["pair", "recorded"];

    /// <summary>A file's text as UTF-8 that refuses bytes that are not (the API refuses them; a reader that replaced
    /// them with U+FFFD stored "Caf\uFFFD" for a Latin-1 "Café").</summary>
    public static StreamReader Open(string path) => new(path, ImportLine.Strict, detectEncodingFromByteOrderMarks: true);

    /// <summary>The file's lines; a file that cannot be split into them ends with a problem: bytes that are not UTF-8
    /// (see <see cref="Open"/>) at the line after the last one read (the reader decodes ahead, so they may lie a little
    /// further on), a JSON array that does not parse at the line where it broke.</summary>
    public static IEnumerable<ImportLine> ReadLines(TextReader reader)
    {
        using var lines = Split(reader).GetEnumerator();
        var last = 0;
        while (true)
        {
            ImportLine line;
            try
            {
                if (!lines.MoveNext()) yield break;
                line = lines.Current;
            }
            catch (System.Text.DecoderFallbackException) { line = ImportLine.Broken(last + 1, ImportLine.NotUtf8); }
            catch (JsonException ex) { line = ImportLine.Broken((int)(ex.LineNumber ?? 0) + 1, $"The file is not one JSON array (nor NDJSON): {LedgerJson.Malformed(ex)}"); }
            yield return line;
            if (line.Problem is not null) yield break;
            last = line.Number;
        }
    }

    /// <summary>A file's lines. NDJSON is read as bytes, each line checked to be UTF-8 and parsed as it is, never
    /// decoded into a UTF-16 string to be encoded back for the parser (twice the file in strings, and a transcoding of
    /// every line); a file that is a JSON array, starts with a UTF-16 or UTF-32 byte-order mark, or whose first
    /// megabyte is white space, is read as text (<see cref="ReadLines(TextReader)"/>).</summary>
    public static IEnumerable<ImportLine> ReadLines(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int start = 0, end = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (buffer.AsSpan(0, end).StartsWith("\uFEFF"u8)) start = 3;
        var first = start + (buffer.AsSpan(start, end - start).IndexOfAnyExcept(" \t\r\n"u8) is var text and >= 0 ? text : end - start);
        if (first == buffer.Length || (first < end && (buffer[first] is (byte)'[' or 0xFE or 0xFF or 0 || (first + 1 < end && buffer[first + 1] == 0))))
        {
            file.Dispose();
            using var reader = Open(path);
            foreach (var line in ReadLines(reader)) yield return line;
            yield break;
        }
        var (number, endOfFile) = (0, false);
        while (true)
        {
            // a line ends at \n, \r\n or \r, as TextReader.ReadLine has it
            var rest = buffer.AsSpan(start, end - start);
            var at = rest.IndexOfAny((byte)'\n', (byte)'\r');
            if (at >= 0 && (rest[at] == '\n' || at + 1 < rest.Length || endOfFile) || (endOfFile && !rest.IsEmpty))
            {
                var length = at >= 0 ? at : rest.Length;
                var line = rest[..length];
                start += length + (at < 0 ? 0 : rest[at] == '\r' && at + 1 < rest.Length && rest[at + 1] == '\n' ? 2 : 1);
                number++;
                if (Blank(line)) continue;
                if (!System.Text.Unicode.Utf8.IsValid(line))
                {
                    yield return ImportLine.Broken(number, ImportLine.NotUtf8);
                    yield break;
                }
                yield return new ImportLine(number, line.ToArray());
                continue;
            }
            if (endOfFile) yield break;
            // what is left is part of a line: keep it and read on (a line longer than the buffer doubles it)
            if (rest.Length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            rest.CopyTo(buffer);
            var read = file.ReadAtLeast(buffer.AsSpan(rest.Length), buffer.Length - rest.Length, throwOnEndOfStream: false);
            (start, end, endOfFile) = (0, rest.Length + read, read == 0);
        }
    }

    /// <summary>White space only, as <see cref="string.IsNullOrWhiteSpace"/> has it (a no-break space too).</summary>
    private static bool Blank(ReadOnlySpan<byte> line)
    {
        var trimmed = line.Trim(" \t\n\v\f\r"u8);
        return trimmed.IsEmpty || (trimmed[0] >= 0x80 && System.Text.Unicode.Utf8.IsValid(trimmed) && string.IsNullOrWhiteSpace(System.Text.Encoding.UTF8.GetString(trimmed)));
    }

    private static IEnumerable<ImportLine> Split(TextReader reader)
    {
        var first = reader.Peek();
        var lineNumber = 0; // the line breaks passed on the way to the first text count as lines: numbers stay the file's
        while (first is ' ' or '\n' or '\r' or '\t')
        {
            reader.Read();
            if (first == '\n' || (first == '\r' && reader.Peek() != '\n')) lineNumber++;
            first = reader.Peek();
        }
        if (first == '[')
        {
            using var array = JsonDocument.Parse(reader.ReadToEnd(), LedgerJson.Submitted with { MaxDepth = LedgerJson.Submitted.MaxDepth + 1 });
            var number = 0;
            foreach (var item in array.RootElement.EnumerateArray()) yield return new ImportLine(++number, item.GetRawText());
            yield break;
        }
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line)) yield return new ImportLine(lineNumber, line);
        }
    }

    /// <param name="asRecorded">keep each line's recorded sequence, time and writer (<see cref="Restore"/>): into an empty ledger</param>
    public static async Task<ImportResult> ImportAsync(Appending appending, IEnumerable<ImportLine> lines, DateOnly today,
        Action<int, int>? progress = null, CancellationToken ct = default, string writer = Writer, bool asRecorded = false)
    {
        var problems = new Problems();
        var parsed = Validate(lines, today, asRecorded, problems);
        if (problems.Count > 0) return new ImportResult(0, 0, problems);
        if (asRecorded)
        {
            problems.AddAll(await Restore.CheckLedgerAsync(appending.Store, ct));
            if (problems.Count == 0) problems.AddAll(Restore.Check(parsed, await Restore.NowAsync(appending.Store, ct)));
            if (problems.Count > 0) return new ImportResult(0, 0, problems);
        }
        // per pair, before anything is written: the lines recorded already (as given, or a conflict), and the others'
        // provenance over the whole file — so a refused line appends nothing
        var pairs = parsed.GroupBy(l => l.Pair.Id).Select(g => g.ToList()).ToList();
        var fresh = new List<ParsedLine>[pairs.Count];
        var pairProblems = new Problems[pairs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (p, token) => (fresh[p], pairProblems[p]) = await CheckPairAsync(appending, pairs[p], today, asRecorded, token));
        foreach (var found in pairProblems) problems.AddAll(found);
        if (problems.Count > 0) return new ImportResult(0, 0, problems);
        // the ledger was empty: every line is new, and goes in file order
        if (asRecorded) return await Restore.WriteAsync(appending, parsed, progress, ct);

        // what is written now can meet only what other writers record meanwhile (a fact retracted over HTTP)
        int appended = 0, alreadyPresent = parsed.Count - fresh.Sum(f => f.Count);
        progress?.Invoke(alreadyPresent, parsed.Count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stamp = new Stamp(writer);
        try
        {
            // pairs are independent streams: a few run side by side, each pair's runs in file order
            await Parallel.ForEachAsync(Runs(fresh.Where(f => f.Count > 0)), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stop.Token }, async (runs, token) =>
            {
                var imported = new ImportedPair();
                foreach (var run in runs)
                {
                    var outcome = await appending.AppendAsync(run[0].Pair, run.Select(f => f.Submission).ToList(), null, today, stamp, token,
                        i => $"line {run[i].Line}.", imported);
                    Problems? failed = outcome switch
                    {
                        AppendOutcome.Rejected rejected => rejected.Problems,
                        AppendOutcome.Conflict conflict => new Problems { [$"line {run[0].Line}"] = [conflict.Detail] },
                        _ => null,
                    };
                    if (failed is not null)
                    {
                        lock (problems) problems.AddAll(failed);
                        await stop.CancelAsync();
                        return;
                    }
                    Interlocked.Add(ref appended, run.Count);
                    progress?.Invoke(run.Count, parsed.Count);
                }
            });
        }
        catch (OperationCanceledException) when (problems.Count > 0 && !ct.IsCancellationRequested) { }
        return new ImportResult(appended, alreadyPresent, problems);
    }

    /// <summary>Every line parsed and checked, on every core (parsing and validation are pure and per line); the
    /// problems go to <paramref name="problems"/> in line order, and an eventId given twice is one too. Only the valid
    /// lines are kept, and nothing of those once a problem is found.</summary>
    private static List<ParsedLine> Validate(IEnumerable<ImportLine> lines, DateOnly today, bool asRecorded, Problems problems)
    {
        var parsed = new List<ParsedLine>();
        foreach (var (line, lineProblems) in lines.AsParallel().AsOrdered().Select(line => Check(line, today, asRecorded)))
            if (lineProblems is not null) problems.AddAll(lineProblems);
            else if (problems.Count == 0) parsed.Add(line!.Value);
        if (problems.Count > 0) return [];
        // an id given twice would be recorded once and the other line skipped as present, whatever its body or pair
        var firstLine = new Dictionary<Guid, int>(parsed.Count);
        foreach (var (_, submission, line, _) in parsed)
            if (!firstLine.TryAdd(submission.Event.Id, line))
                problems.Add($"line {line}.eventId", $"The same eventId as line {firstLine[submission.Event.Id]}: each event is in a file once.");
        return parsed;
    }

    /// <summary>A pair's lines not yet recorded, and the problems of its lines: those recorded with another body or
    /// in another pair, and the new ones' provenance over the whole file.</summary>
    private static async Task<(List<ParsedLine>, Problems)> CheckPairAsync(
        Appending appending, List<ParsedLine> lines, DateOnly today, bool asRecorded, CancellationToken ct)
    {
        var (problems, existing) = (new Problems(), new HashSet<Guid>());
        await using (var session = appending.Store.QuerySession())
            foreach (var chunk in lines.Chunk(Chunk))
            {
                var recorded = await Replaying.Reading.RecordedIdsAsync(session, [.. chunk.Select(l => l.Submission.Event.Id)], ct);
                if (recorded.Count == 0) continue;
                existing.UnionWith(recorded);
                problems.AddAll(await TakenAsync(appending, chunk, existing));
            }
        var fresh = lines.Where(l => !existing.Contains(l.Submission.Event.Id)).ToList();
        problems.AddAll(await appending.CheckLinesAsync(lines[0].Pair, [.. fresh.Select(l => l.Submission)], today, i => $"line {fresh[i].Line}.", ct, asRecorded));
        return (fresh, problems);
    }

    /// <summary>The lines whose id is recorded, but with another body or in another pair: a conflict each (present
    /// means recorded as the line has it).</summary>
    private static async Task<Problems> TakenAsync(Appending appending, IReadOnlyList<ParsedLine> lines, HashSet<Guid> existing)
    {
        var present = lines.Where(r => existing.Contains(r.Submission.Event.Id)).ToList();
        var same = await appending.RecordedAsGivenAsync(lines[0].Pair, [.. present.Select(r => r.Submission.Event)]);
        var taken = new Problems();
        foreach (var line in present.Where(r => !same.Contains(r.Submission.Event.Id))) taken.Add($"line {line.Line}.eventId", AppendOutcome.Conflict.IdTaken);
        return taken;
    }

    /// <summary>A line parsed and checked, or its problems (none: null, so a million valid lines leave nothing behind).</summary>
    private static (ParsedLine? Line, Problems? Problems) Check(ImportLine line, DateOnly today, bool asRecorded)
    {
        var problems = new Problems();
        var prefix = $"line {line.Number}";
        if (line.Problem is not null)
        {
            problems.Add(prefix, line.Problem);
            return (null, problems);
        }
        JsonDocument? document = null;
        string? malformed = null;
        try { document = JsonDocument.Parse(line.Utf8, LedgerJson.Submitted); }
        catch (JsonException ex) { malformed = LedgerJson.Malformed(ex, withLine: false); }
        using var _ = document;
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } body)
        {
            problems.Add(prefix, malformed is null ? "Not a JSON object." : $"Not a JSON object: {malformed}");
            return (null, problems);
        }
        var pairText = body.TryGetProperty("pair", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        if (!Pair.TryParse(pairText, out var pair))
        {
            problems.Add($"{prefix}.pair", "Each line names its pair, e.g. \"pair\":\"BY-US\".");
            return (null, problems);
        }
        var submission = SubmissionReader.Read(body, today, problems, prefix, FileFields, asRecorded);
        if (submission?.ExpectedVersion is not null)
            problems.Add($"{prefix}.expectedVersion", "A file's lines are appended in order, each after the one before: expectedVersion is for a single request.");
        var recorded = asRecorded ? RecordedAs.Read(body, problems, prefix) : null;
        return (submission is null || (asRecorded && recorded is null) ? null : new ParsedLine(pair, submission, line.Number, recorded), problems.Count > 0 ? problems : null);
    }

    /// <summary>Pairs imported side by side: enough to overlap one transaction's commit with the next one's work.</summary>
    private const int Parallelism = 4;

    /// <summary>Per pair (its lines in file order), at most <see cref="Chunk"/> lines at a time: each run is one
    /// transaction. Pairs are independent streams, so grouping by pair keeps every ordering that matters. The longest pairs start
    /// first: a pair's runs go one after another, so a long one started last would finish alone on one core.</summary>
    internal static IEnumerable<List<List<ParsedLine>>> Runs(IEnumerable<List<ParsedLine>> pairs) =>
        pairs.OrderByDescending(pair => pair.Count).Select(pair => pair.Chunk(Chunk).Select(chunk => chunk.ToList()).ToList());
}
