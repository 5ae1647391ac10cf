using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;
using Wolverine.Http;

namespace RelationsLedger.Relations.Sanctions;

public static class GetRegister
{
    /// <summary>Every sanctions measure across pairs as of a date, filterable by issuer and status.</summary>
    [WolverineGet("/api/sanctions")]
    public static async Task<IResult> Get(string? asOf, string? imposedBy, string? status, string? knownAt, string? format, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var problems = new Problems();
        var date = Reading.ParseDate(asOf, "asOf", problems) ?? clock.Today();
        var knowledge = Reading.ParseKnowledge(knownAt, null, problems);
        var issuer = imposedBy is null ? null : Countries.Normalize(imposedBy);
        if (imposedBy is not null && issuer is null) problems.Add("imposedBy", "Must be an ISO 3166-1 alpha-2 code.");
        SanctionStatus? wanted = null;
        if (status is not null)
        {
            if (Enum.TryParse<SanctionStatus>(status, ignoreCase: true, out var s) && !int.TryParse(status, out _)) wanted = s;
            else problems.Add("status", "Must be one of: active, eased, lifted, expired.");
        }
        if (format is not null and not "csv" and not "json") problems.Add("format", "Must be json or csv.");
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        var rows = new List<JsonObject>();
        foreach (var id in await session.QueryAsync<string>($"select id from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_streams order by id", ct))
        {
            if (!Pair.TryParse(id, out var pair)) continue;
            var state = RelationshipState.Fold(await Reading.LoadAsync(session, pair, knowledge, ct, lean: true), date);
            rows.AddRange(state.Sanctions.Values
                .Where(m => issuer is null || m.ImposedBy == issuer)
                .Where(m => wanted is null || m.Status == wanted)
                .Select(m => Row(pair, m)));
        }
        return format == "csv"
            ? TypedResults.Text(Csv(rows), "text/csv; charset=utf-8")
            : TypedResults.Ok(new { asOf = date, sanctions = rows });
    }

    private static readonly string[] CsvColumns =
        ["pair", "imposedBy", "target", "targetId", "program", "status", "since", "authority", "targetKind", "measures", "easedScope"];

    private static string Csv(IEnumerable<JsonObject> rows)
    {
        var csv = new System.Text.StringBuilder(string.Join(',', CsvColumns)).Append("\r\n");
        foreach (var row in rows)
            csv.Append(string.Join(',', CsvColumns.Select(c => Cell(row[c] switch
            {
                JsonArray items => string.Join("; ", items.Select(i => i?.ToString())),
                null => "",
                var value => value.ToString(),
            })))).Append("\r\n");
        return csv.ToString();
    }

    /// <summary>Quoted, and never read as a formula by a spreadsheet.</summary>
    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return $"\"{value.Replace("\"", "\"\"")}\"";
    }

    private static JsonObject Row(Pair pair, Sanction measure)
    {
        var row = new JsonObject { ["pair"] = pair.Id };
        foreach (var (key, value) in JsonSerializer.SerializeToNode(measure, LedgerJson.Options)!.AsObject()) row[key] = value?.DeepClone();
        return row;
    }
}
