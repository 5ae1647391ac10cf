using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
    /// register: every word in the target's name or id, <see cref="WordScreen"/>; in other spellings too with
    /// <c>match=similar</c>).</summary>
    [WolverineGet("/api/sanctions")]
    public static Task<IResult> Get(string? asOf, string? imposedBy, string? status, string? target, string? match, string? knownAt, string? basis, string? format,
        IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var problems = new Problems();
        var date = Reading.ParseDate(asOf, "asOf", problems) ?? clock.Today();
        var knowledge = Reading.ParseKnowledge(knownAt, basis, problems);
        var filter = RegisterFilter.Parse(imposedBy, status, target, match, problems, name => name);
        var answer = Reading.ParseChoice<AnswerFormat>(format, "format", problems);
        if (problems.Count > 0) return Task.FromResult(LedgerResults.Invalid(problems, "Invalid query."));

        return Task.FromResult<IResult>(new Answer(session, date, asOf is not null, knowledge, filter, answer == AnswerFormat.Csv, clock.GetUtcNow()));
    }

    /// <summary>The register, written pair by pair as each is folded.</summary>
    private sealed class Answer(IQuerySession session, DateOnly date, bool dated, Knowledge knowledge, RegisterFilter filter, bool csv, DateTimeOffset now) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var ct = context.RequestAborted;
            // the database first: one that does not answer is a 503 before a byte of the answer is written
            var settled = await RecordedHorizon.Of(session.DocumentStore).SettleAsync(knowledge.KnownAt, knowledge.Basis, ct);
            var streams = await Register.PairsAsync(session, ct);
            // pinned by a date and a settled instant or basis, the register is fixed. Otherwise it holds until a pair's
            // version moves: every append moves one, whatever its sequence
            var pinned = dated && settled;
            if (ReadCache.NotModified(context, ReadCache.Tag(context.Request, pinned ? [] : [date, streams.Sum(s => s.Version)]), pinned))
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            // a download is saved under a name that says what it holds
            if (csv) Csv.Download(context.Response, $"sanctions-as-of-{date:yyyy-MM-dd}.csv");
            else context.Response.ContentType = "application/json; charset=utf-8";
            var body = context.Response.BodyWriter;
            // the HTTP answers' escaping
            var writing = new JsonWriterOptions { Encoder = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions.Encoder };
            await using var json = new Utf8JsonWriter(body, writing);
            if (csv) body.Write(Encoding.UTF8.GetBytes(Register.CsvHeader));
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
                if (filter.Screen is { Similar: true }) json.WriteString("match", "similar");
                json.WriteStartArray("sanctions");
            }
            Pair? written = null;
            await foreach (var (pair, measure) in Register.RowsAsync(session.DocumentStore, streams.Select(s => s.Pair), date, knowledge, filter, ct))
            {
                // each pair's rows go out as soon as it is folded
                if (written is not null && written != pair) await FlushAsync();
                written = pair;
                var row = Register.Row(pair, measure, writing, filter.Matched(measure));
                if (csv) body.Write(Encoding.UTF8.GetBytes(Register.CsvLine(row)));
                else json.WriteRawValue(row, skipInputValidation: true);
            }
            if (!csv)
            {
                json.WriteEndArray();
                json.WriteEndObject();
            }
            await FlushAsync();

            async Task FlushAsync()
            {
                await json.FlushAsync(ct);
                await body.FlushAsync(ct);
            }
        }
    }
}
