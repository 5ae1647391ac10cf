using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Relations.Sanctions;

/// <summary>Which measures the register lists: of an issuer, in a status, whose target's name or id holds every word of
/// a text (a name screened against the register: <see cref="WordScreen"/>), or other spellings of them when the match
/// asked is <see cref="WordMatch.Similar"/>.</summary>
public sealed record RegisterFilter(string? Issuer, SanctionStatus? Status, string? Target, WordScreen? Screen)
{
    /// <param name="name">a value's name as the caller's user types it (<c>imposedBy</c>, <c>--imposed-by</c>)</param>
    public static RegisterFilter Parse(string? imposedBy, string? status, string? target, string? match, Problems problems, Func<string, string> name)
    {
        var issuer = imposedBy is null ? null : Countries.Normalize(imposedBy);
        if (imposedBy is not null && issuer is null) problems.Add(name("imposedBy"), "Must be an ISO 3166-1 alpha-2 code.");
        var wanted = Reading.ParseChoice<SanctionStatus>(status, name("status"), problems);
        var similar = Reading.ParseChoice<WordMatch>(match, name("match"), problems) == WordMatch.Similar;
        var screen = WordScreen.Parse(target, name("target"), problems, "words of a target's name or id", similar);
        return new RegisterFilter(issuer, wanted, screen is null ? null : target!.Trim(), screen);
    }

    public bool Lists(Sanction m) => (Issuer is null || m.ImposedBy == Issuer) && (Status is null || m.Status == Status)
        && (Screen is null || Screen.Matches(m.Target, m.TargetId));

    /// <summary>Why a listed row matched the screened name: each word, the word of the target or its id it found, and
    /// how (null without a target).</summary>
    public IReadOnlyList<WordFound>? Matched(Sanction m) => Screen?.Explain(m.Target, m.TargetId);
}

/// <summary>The sanctions register: every pair's measures at a date, as known at a moment, for the HTTP answer and the
/// <c>sanctions</c> verb alike.</summary>
public static class Register
{
    /// <summary>Every pair with its stream version, in pair order.</summary>
    public static async Task<IReadOnlyList<(string Pair, long Version)>> PairsAsync(IQuerySession session, CancellationToken ct) =>
        [.. await session.AdvancedSql.QueryAsync<string, long>($"select row(id), row(version) from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_streams order by id", ct)];

    /// <summary>The listed measures of <paramref name="pairs"/>, pair by pair, each pair read and folded as it is
    /// reached: a ledger of a million events has a register of tens of megabytes, which held whole (as JSON nodes) took
    /// the process past 700 MB. The moment is settled by the caller.</summary>
    public static async IAsyncEnumerable<(Pair Pair, Sanction Measure)> RowsAsync(IDocumentStore store, IEnumerable<string> pairs, DateOnly date,
        Knowledge knowledge, RegisterFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        // the next pairs are read and folded while one is written, each on a session of its own: the database sends
        // one pair's events while the app folds another's
        var ahead = new Queue<(Pair Pair, Task<RelationshipState> State)>();
        foreach (var id in pairs)
        {
            if (!Pair.TryParse(id, out var pair)) continue;
            ahead.Enqueue((pair, Task.Run(() => StateAsync(store, pair, date, knowledge, ct), ct)));
            if (ahead.Count <= Ahead) continue;
            var (next, state) = ahead.Dequeue();
            foreach (var measure in (await state).Sanctions.Values.Where(filter.Lists)) yield return (next, measure);
        }
        while (ahead.TryDequeue(out var rest))
            foreach (var measure in (await rest.State).Sanctions.Values.Where(filter.Lists)) yield return (rest.Pair, measure);
    }

    /// <summary>Pairs read and folded beside the one being written: two keep both cores busy on this machine.</summary>
    private const int Ahead = 2;

    /// <summary>The facts a pair's sanctions are folded from: <see cref="RelationshipState.SanctionsFacts"/> and every
    /// provenance event (its target is only known once read; one about another fact is ignored by the fold).</summary>
    private static readonly Type[] Read =
        [.. RelationshipState.SanctionsFacts, .. EventCatalog.All.Where(t => t.IsProvenance).Select(t => t.ClrType)];

    private static async Task<RelationshipState> StateAsync(IDocumentStore store, Pair pair, DateOnly date, Knowledge knowledge, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await CurrentSummaryAsync(session, pair, date, knowledge, ct))?.State
               ?? RelationshipState.Fold(await Reading.LoadAsync(session, pair, knowledge, ct, lean: true, types: Read), date);
    }

    /// <summary>The pair's summary when it answers for <paramref name="date"/> as the fold would: the projection has
    /// applied the pair's newest event, every event was known at the requested moment (newest knowledge, recorded by
    /// <c>knownAt</c>, or at or below the <c>basis</c>), and no fact of the pair takes effect after the date (a fold to the date then folds every fact, as
    /// the summary did). A summary is one row to read instead of every sanctions fact of the pair: today's register of a
    /// 1.1-million-event ledger (43 MB, the same bytes) 3.7–4.0 s → 1.1–1.3 s. Otherwise null.</summary>
    private static async Task<Projections.RelationshipSummary?> CurrentSummaryAsync(IQuerySession session, Pair pair, DateOnly date, Knowledge knowledge, CancellationToken ct)
    {
        var current = $"where d.id = ? and d.last_effective <= ? and d.sequence = ({Reading.LastSequenceSql(session)})";
        return (knowledge switch
        {
            { KnownAt: { } knownAt } => await session.QueryAsync<Projections.RelationshipSummary>(current + " and d.last_recorded <= ?", ct, pair.Id, date, pair.Id, knownAt.ToUniversalTime()),
            { Basis: { } basis } => await session.QueryAsync<Projections.RelationshipSummary>(current + " and d.sequence <= ?", ct, pair.Id, date, pair.Id, basis),
            _ => await session.QueryAsync<Projections.RelationshipSummary>(current, ct, pair.Id, date, pair.Id),
        }).SingleOrDefault();
    }

    /// <summary>A register row: the measure's JSON as a state answer writes it (its unknowns null) with its pair first,
    /// and, when a name was screened, why it matched (<c>matched</c>: each word, the word of the <c>target</c> or
    /// <c>targetId</c> it found, and how).</summary>
    public static byte[] Row(Pair pair, Sanction measure, JsonWriterOptions writing, IReadOnlyList<WordFound>? matched = null)
    {
        var fields = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(fields, writing)) JsonSerializer.Serialize(writer, measure, LedgerHttp.AnswerOptions);
        byte[] row = [.. "{\"pair\":\""u8, .. JsonEncodedText.Encode(pair.Id, writing.Encoder).EncodedUtf8Bytes, .. "\","u8, .. fields.WrittenSpan[1..]];
        if (matched is null) return row;
        var why = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(why, writing))
        {
            writer.WriteStartArray();
            foreach (var found in matched)
            {
                writer.WriteStartObject();
                writer.WriteString("word", found.Word);
                writer.WriteString("found", found.Found);
                writer.WriteString("in", found.Text == 0 ? "target" : "targetId");
                writer.WriteString("how", found.How);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return [.. row.AsSpan()[..^1], .. ",\"matched\":"u8, .. why.WrittenSpan, .. "}"u8];
    }

    private static readonly string[] CsvColumns =
        ["pair", "imposedBy", "target", "targetId", "program", "status", "since", "authority", "targetKind", "measures", "easedScope", "matched"];

    public static string CsvHeader => Csv.Header(CsvColumns);

    /// <summary>A row (<see cref="Row"/>) as a CSV line: lists joined by "; ".</summary>
    public static string CsvLine(byte[] row)
    {
        using var document = JsonDocument.Parse(row);
        return Csv.Line(CsvColumns.Select(c => document.RootElement.TryGetProperty(c, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Array => string.Join("; ", value.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.Object
                ? new WordFound(i.GetProperty("word").GetString()!, i.GetProperty("found").GetString()!, 0, i.GetProperty("how").GetString()!).ToString()
                : i.ToString())),
            JsonValueKind.Null => "",
            _ => value.ToString(),
        } : ""));
    }
}
