using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;
using Spectre.Console;

namespace RelationsLedger.Relations.Sanctions;

public sealed class SanctionsInput : NetCoreInput
{
    [Description("The register as of this date, YYYY-MM-DD (default: today)")] public string? AsOfFlag { get; set; }
    [Description("As it was known at this instant (ISO 8601): a past screening, reproduced")] public string? KnownAtFlag { get; set; }
    [Description("Only measures imposed by this country (ISO code, e.g. US)")] public string? ImposedByFlag { get; set; }
    [Description("Only measures in this status: active, eased, lifted or expired")] public string? StatusFlag { get; set; }
    [Description("Only measures whose target's name or id holds every word of this text, in any order, case or accent: screen a name")] public string? TargetFlag { get; set; }
    [Description("How --target matches: words (as typed, in any case or accent; the default) or similar (other spellings too: Lukashenko finds Łukašenka)")] public string? MatchFlag { get; set; }
    [Description("Write CSV to standard output (the API's columns) instead of a table")] public bool CsvFlag { get; set; }
}

[Description("Prints the sanctions register across pairs at a date, as a table or CSV; screens a name with --target", Name = "sanctions")]
public sealed class SanctionsCommand : JasperFxAsyncCommand<SanctionsInput>
{
    public override async Task<bool> Execute(SanctionsInput input)
    {
        var problems = new Problems();
        var asOf = Reading.ParseDate(input.AsOfFlag, "--as-of", problems);
        var knowledge = Reading.ParseKnowledge(input.KnownAtFlag, null, problems, "--known-at");
        var filter = RegisterFilter.Parse(input.ImposedByFlag, input.StatusFlag, input.TargetFlag, input.MatchFlag, problems, Flag);
        if (ReplayCommand.Report(problems)) return false;

        return await CommandHost.RunAsync(input, async host =>
        {
            var date = asOf ?? host.Today;
            var ct = CancellationToken.None;
            await RecordedHorizon.Of(host.Store).SettleAsync(knowledge.KnownAt, ct);
            await using var session = host.Store.QuerySession();
            var pairs = (await Register.PairsAsync(session, ct)).Select(p => p.Pair);
            var rows = Register.RowsAsync(host.Store, pairs, date, knowledge, filter, ct);
            if (input.CsvFlag) await WriteCsvAsync(rows, filter);
            else await WriteTableAsync(rows, date, knowledge, filter);
            return true;
        });
    }

    /// <summary>A flag's name as typed: imposedBy → --imposed-by.</summary>
    private static string Flag(string name) => "--" + string.Concat(name.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));

    private static async Task WriteCsvAsync(IAsyncEnumerable<(Pair Pair, Sanction Measure)> rows, RegisterFilter filter)
    {
        await using var output = new System.IO.StreamWriter(DataOutput.Data, new UTF8Encoding(false));
        await output.WriteAsync(Register.CsvHeader);
        var writing = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        await foreach (var (pair, measure) in rows) await output.WriteAsync(Register.CsvLine(Register.Row(pair, measure, writing, filter.Matched(measure))));
    }

    private static async Task WriteTableAsync(IAsyncEnumerable<(Pair Pair, Sanction Measure)> rows, DateOnly date, Knowledge knowledge, RegisterFilter filter)
    {
        var listed = new List<string[]>();
        await foreach (var (pair, m) in rows)
            listed.Add([pair.Id, m.ImposedBy, m.TargetId is { } id ? $"{m.Target} ({id})" : m.Target, m.Program ?? "", ReplayTables.Lower(m.Status), $"{m.Since}", string.Join("; ", m.Measures),
                .. filter.Matched(m) is { } matched ? [string.Join("; ", matched)] : Array.Empty<string>()]);
        var known = knowledge.KnownAt is { } at ? $", as known at {at:O}" : "";
        var filters = string.Concat(
            filter.Issuer is { } issuer ? $", imposed by {issuer}" : "",
            filter.Status is { } status ? $", {ReplayTables.Lower(status)}" : "",
            filter.Target is { } target ? $", target {(filter.Screen!.Similar ? "spelt like" : "matching")} \"{target}\"" : "");
        // the count first: a narrow terminal wraps the rest
        AnsiConsole.MarkupLineInterpolated($"[bold]{listed.Count} measure{(listed.Count == 1 ? "" : "s")}[/] in the sanctions register as of {date:yyyy-MM-dd}{known}{filters}");
        ReplayTables.Table(null, ["Pair", "Issuer", "Target", "Program", "Status", "Since", "Measures", .. filter.Screen is null ? Array.Empty<string>() : ["Matched"]], listed);
    }
}
