using System.Text.Json;
using Marten;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Relations.Importing;

/// <summary>Where, when and by whom a line's event was recorded, as <c>export</c> writes it: the ledger's sequence, the
/// pair's version, the store's timestamp and the writer.</summary>
public sealed partial record RecordedAs(long Sequence, long? Version, DateTimeOffset At, string? By)
{
    /// <summary>The line's <c>recorded</c> object, or null with its problems said under <paramref name="prefix"/>.</summary>
    public static RecordedAs? Read(JsonElement line, Problems problems, string prefix)
    {
        var field = $"{prefix}.recorded";
        if (!line.TryGetProperty("recorded", out var recorded) || recorded.ValueKind != JsonValueKind.Object)
        {
            problems.Add(field, "--as-recorded keeps each line's recorded sequence and time: give \"recorded\":{\"sequence\":N,\"at\":INSTANT} as export writes it.");
            return null;
        }
        var before = problems.Count;
        long? Number(string name, bool required)
        {
            if (!recorded.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required) problems.Add($"{field}.{name}", "Required: a whole number from 1.");
                return null;
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 1) return n;
            problems.Add($"{field}.{name}", "Must be a whole number from 1.");
            return null;
        }
        var sequence = Number("sequence", required: true);
        var version = Number("version", required: false);
        DateTimeOffset at = default;
        if (!recorded.TryGetProperty("at", out var atText) || atText.ValueKind != JsonValueKind.String
            || !WithOffset().IsMatch(atText.GetString()!) || !atText.TryGetDateTimeOffset(out at))
            problems.Add($"{field}.at", "Required: an ISO 8601 instant with its offset, e.g. 2025-09-11T10:15:00.123456+00:00.");
        string? by = null;
        if (recorded.TryGetProperty("by", out var byText) && byText.ValueKind != JsonValueKind.Null)
        {
            by = byText.ValueKind == JsonValueKind.String ? byText.GetString() : null;
            if (!Stamp.IsWriterName(by)) problems.Add($"{field}.by", $"Must be the writer's name: {Stamp.WriterRule}.");
        }
        return problems.Count == before ? new RecordedAs(sequence!.Value, version, at, by) : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)\z")]
    private static partial System.Text.RegularExpressions.Regex WithOffset();
}

/// <summary>An import that keeps what its file says of where, when and by whom each event was recorded (<c>import
/// --as-recorded</c>): an export restored into an empty ledger answers every read as known at every instant, and every
/// read pinned to a basis, as the ledger it came from did. Its lines go in file order, a transaction per
/// <see cref="Importer.Chunk"/>, at their sequences, times and writers; the sequences the file does not hold are filled
/// with tombstones.</summary>
public static class Restore
{
    /// <summary>The most sequences a file may skip: each becomes a tombstone (an export of one pair of a large ledger
    /// skips the others' events; a mistyped sequence would have the restore write billions).</summary>
    public const long MaxSkipped = 10_000_000;

    /// <summary>What the file must hold to be written as recorded, into this ledger at <paramref name="now"/> (the
    /// database's clock): sequences that grow line by line (as an export writes them), each pair's versions counting
    /// its lines from 1, and no time later than now, so new events come after it.</summary>
    public static Problems Check(IReadOnlyList<ParsedLine> lines, DateTimeOffset now)
    {
        var problems = new Problems();
        var versions = new Dictionary<string, long>();
        var (last, skipped) = (0L, 0L);
        foreach (var (pair, _, number, recorded) in lines)
        {
            var (sequence, version, at, _) = recorded!;
            var field = $"line {number}.recorded";
            if (sequence <= last) problems.Add($"{field}.sequence", $"Sequences grow line by line, as an export writes them: {sequence} comes after {last}.");
            else if ((skipped += sequence - last - 1) > MaxSkipped)
            {
                problems.Add($"{field}.sequence", $"The file skips more than {MaxSkipped:N0} sequences by this line (a tombstone each): is {sequence} mistyped?");
                break;
            }
            last = Math.Max(last, sequence);
            var expected = versions[pair.Id] = versions.GetValueOrDefault(pair.Id) + 1;
            if (version is { } v && v != expected)
                problems.Add($"{field}.version", $"This is line {expected} of {pair.Id} in the file, so its version is {expected}, not {v}: restore every event of a pair, in order.");
            if (at > now) problems.Add($"{field}.at", $"{at:O} is after this database's clock ({now:O}): a later event would seem recorded before it.");
        }
        return problems;
    }

    /// <summary>Problems with the ledger itself: a restore writes into an empty one, whose sequences it can take.</summary>
    public static async Task<Problems> CheckLedgerAsync(IDocumentStore store, CancellationToken ct)
    {
        var problems = new Problems();
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().CountAsync(ct);
        if (events > 0)
            problems.Add("ledger", $"--as-recorded restores into an empty ledger: this one has {events} events (and tombstones). Import without --as-recorded to append the file as new events.");
        return problems;
    }

    /// <summary>The database's clock.</summary>
    public static async Task<DateTimeOffset> NowAsync(IDocumentStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.QueryAsync<DateTimeOffset>("select now()", ct))[0];
    }

    /// <summary>Writes the checked <paramref name="lines"/> in file order; stops at the first transaction that fails
    /// (a write to the ledger meanwhile), with what went before it written.</summary>
    public static async Task<ImportResult> WriteAsync(Appending appending, IReadOnlyList<ParsedLine> lines, Action<int, int>? progress, CancellationToken ct)
    {
        var versions = new Dictionary<string, long>();
        var (last, appended, problems) = (0L, 0, new Problems());
        progress?.Invoke(0, lines.Count);
        foreach (var chunk in lines.Chunk(Importer.Chunk))
        {
            ct.ThrowIfCancellationRequested();
            var writes = chunk.GroupBy(l => l.Pair.Id).Select(g => new RestoredWrite(g.First().Pair, versions.GetValueOrDefault(g.Key),
                [.. g.Select(l => new RestoredEvent(l.Submission.Event, l.Recorded!.Sequence, l.Recorded.At, l.Recorded.By ?? Importer.Writer))])).ToList();
            var gaps = new List<(long, long)>();
            foreach (var sequence in chunk.Select(l => l.Recorded!.Sequence))
            {
                if (sequence > last + 1) gaps.Add((last + 1, sequence - 1));
                last = sequence;
            }
            string? conflict;
            try { conflict = await appending.RestoreAsync(writes, gaps); }
            catch (Npgsql.NpgsqlException ex) { conflict = ex.Message; }
            if (conflict is not null)
            {
                problems.Add($"line {chunk[0].Line}", $"The restore stopped here, its lines before written: {conflict}");
                break;
            }
            foreach (var write in writes) versions[write.Pair.Id] = write.VersionBefore + write.Events.Count;
            appended += chunk.Length;
            progress?.Invoke(chunk.Length, lines.Count);
        }
        return new ImportResult(appended, 0, problems);
    }
}
