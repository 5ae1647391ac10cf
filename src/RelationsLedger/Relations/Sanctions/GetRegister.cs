using System.Text.Json;
using System.Buffers;
using System.Globalization;
using System.Text;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;
using Wolverine.Http;

namespace RelationsLedger.Relations.Sanctions;

public static class GetRegister
{
    /// <summary>Every sanctions measure across pairs as of a date, as known at an instant or a basis (a global
    /// sequence, so one basis pins every pair), filterable by issuer, status and target (a name screened against the
    /// register: part of the target's name or id, in any case).</summary>
    [WolverineGet("/api/sanctions")]
    public static Task<IResult> Get(string? asOf, string? imposedBy, string? status, string? target, string? knownAt, string? basis, string? format, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var problems = new Problems();
        var date = Reading.ParseDate(asOf, "asOf", problems) ?? clock.Today();
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        var issuer = imposedBy is null ? null : Countries.Normalize(imposedBy);
        if (imposedBy is not null && issuer is null) problems.Add("imposedBy", "Must be an ISO 3166-1 alpha-2 code.");
        var wanted = Reading.ParseChoice<SanctionStatus>(status, "status", problems);
        var answer = Reading.ParseChoice<Format>(format, "format", problems);
        var named = string.IsNullOrWhiteSpace(target) ? null : target.Trim();
        if (named is not null && (named.Length > MaxTarget || SubmissionReader.TextProblem(named) is not null))
            problems.Add("target", $"At most {MaxTarget} printable characters: part of a target's name or id.");
        if (problems.Count > 0) return Task.FromResult(LedgerResults.Invalid(problems, "Invalid query."));

        return Task.FromResult<IResult>(new Register(session, date, asOf is not null, knowledge, new Filter(issuer, wanted, named), answer == Format.Csv, clock.GetUtcNow()));
    }

    private enum Format { Json, Csv }

    private const int MaxTarget = 200;

    /// <summary>Which measures the register lists: of an issuer, in a status, whose target's name or id holds a text.</summary>
    private sealed record Filter(string? Issuer, SanctionStatus? Status, string? Target)
    {
        public bool Lists(Sanction m) => (Issuer is null || m.ImposedBy == Issuer) && (Status is null || m.Status == Status)
            && (Target is null || m.Target.Contains(Target, StringComparison.OrdinalIgnoreCase) || m.TargetId?.Contains(Target, StringComparison.OrdinalIgnoreCase) == true);
    }

    /// <summary>The facts a pair's sanctions are folded from: <see cref="RelationshipState.SanctionsFacts"/> and every
    /// provenance event (its target is only known once read; one about another fact is ignored by the fold).</summary>
    private static readonly Type[] Read =
        [.. RelationshipState.SanctionsFacts, .. EventCatalog.All.Where(t => t.IsProvenance).Select(t => t.ClrType)];

    /// <summary>The register, written pair by pair as each is folded: a ledger of a million events has a register of
    /// tens of megabytes, which held whole (as JSON nodes) took the process past 700 MB.</summary>
    private sealed class Register(IQuerySession session, DateOnly date, bool dated, Knowledge knowledge, Filter filter, bool csv, DateTimeOffset now) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var ct = context.RequestAborted;
            // the database first: one that does not answer is a 503 before a byte of the answer is written
            var settled = await RecordedHorizon.Of(session.DocumentStore).SettleAsync(knowledge.KnownAt, knowledge.Basis, ct);
            var streams = await session.AdvancedSql.QueryAsync<string, long>($"select row(id), row(version) from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_streams order by id", ct);
            // pinned by a date and a settled instant or basis, the register is fixed. Otherwise it holds until a pair's
            // version moves: every append moves one, whatever its sequence
            var pinned = dated && settled;
            if (ReadCache.NotModified(context, ReadCache.Tag(context.Request, pinned ? [] : [date, streams.Sum(s => s.Item2)]), pinned))
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            var pairs = streams.Select(s => s.Item1);
            context.Response.ContentType = csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
            // a download is saved under a name that says what it holds
            if (csv) context.Response.Headers.ContentDisposition = $"attachment; filename=\"sanctions-as-of-{date:yyyy-MM-dd}.csv\"";
            var body = context.Response.BodyWriter;
            // the HTTP answers' escaping; the rows' members as the state writes them (a measure's unknowns left out)
            var writing = new JsonWriterOptions { Encoder = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions.Encoder };
            await using var json = new Utf8JsonWriter(body, writing);
            if (csv) body.Write(Encoding.UTF8.GetBytes(string.Join(',', CsvColumns) + "\r\n"));
            else
            {
                json.WriteStartObject();
                json.WriteString("asOf", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                // what the answer is, so that a saved register says how to ask for it again: as known at the instant
                // asked (or now), or at the basis asked; and its filters
                if (knowledge.Basis is { } basis) json.WriteNumber("basis", basis);
                else json.WriteString("knownAt", knowledge.KnownAt ?? now);
                if (filter.Issuer is { } issuer) json.WriteString("imposedBy", issuer);
                if (filter.Status is { } status) json.WriteString("status", status.ToString().ToLowerInvariant());
                if (filter.Target is { } target) json.WriteString("target", target);
                json.WriteStartArray("sanctions");
            }
            // the next pairs are read and folded while one is written, each on a session of its own: the database sends
            // one pair's events while the app folds another's
            var ahead = new Queue<(Pair Pair, Task<RelationshipState> State)>();
            foreach (var id in pairs)
            {
                if (!Pair.TryParse(id, out var pair)) continue;
                ahead.Enqueue((pair, Task.Run(() => StateAsync(pair, ct), ct)));
                if (ahead.Count > Ahead) await WriteAsync(ahead.Dequeue());
            }
            while (ahead.Count > 0) await WriteAsync(ahead.Dequeue());
            if (csv) return;
            json.WriteEndArray();
            json.WriteEndObject();

            async Task WriteAsync((Pair Pair, Task<RelationshipState> State) next)
            {
                foreach (var measure in (await next.State).Sanctions.Values.Where(filter.Lists))
                {
                    var row = Row(next.Pair, measure, writing);
                    if (csv) body.Write(Encoding.UTF8.GetBytes(CsvLine(row)));
                    else json.WriteRawValue(row, skipInputValidation: true);
                }
                await json.FlushAsync(ct);
                await body.FlushAsync(ct);
            }
        }

        private async Task<RelationshipState> StateAsync(Pair pair, CancellationToken ct)
        {
            await using var own = session.DocumentStore.QuerySession();
            return (await CurrentSummaryAsync(own, pair, date, knowledge, ct))?.State
                   ?? RelationshipState.Fold(await Reading.LoadAsync(own, pair, knowledge, ct, lean: true, types: Read), date);
        }
    }

    /// <summary>Pairs read and folded beside the one being written: two keep both cores busy on this machine.</summary>
    private const int Ahead = 2;

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

    private static readonly string[] CsvColumns =
        ["pair", "imposedBy", "target", "targetId", "program", "status", "since", "authority", "targetKind", "measures", "easedScope"];

    private static string CsvLine(byte[] row)
    {
        using var document = JsonDocument.Parse(row);
        return string.Join(',', CsvColumns.Select(c => Cell(document.RootElement.TryGetProperty(c, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Array => string.Join("; ", value.EnumerateArray().Select(i => i.ToString())),
            JsonValueKind.Null => "",
            _ => value.ToString(),
        } : ""))) + "\r\n";
    }

    /// <summary>Quoted, and never read as a formula by a spreadsheet.</summary>
    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return $"\"{value.Replace("\"", "\"\"")}\"";
    }

    /// <summary>A register row: the measure's JSON with its pair first.</summary>
    private static byte[] Row(Pair pair, Sanction measure, JsonWriterOptions writing)
    {
        var fields = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(fields, writing)) JsonSerializer.Serialize(writer, measure, LedgerJson.Options);
        return [.. "{\"pair\":\""u8, .. JsonEncodedText.Encode(pair.Id, writing.Encoder).EncodedUtf8Bytes, .. "\","u8, .. fields.WrittenSpan[1..]];
    }
}
