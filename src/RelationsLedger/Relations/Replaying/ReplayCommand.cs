using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using RelationsLedger.Relations.Recording;
using Spectre.Console;

namespace RelationsLedger.Relations.Replaying;

public sealed class ReplayInput : NetCoreInput
{
    [Description("The pair, two ISO codes: US-BY")] public string PairFlag { get; set; } = "";
    [Description("Replay up to this date, YYYY-MM-DD (default: today)")] public string? ToFlag { get; set; }
    [Description("State as it was known at this instant (ISO 8601)")] public string? KnownAtFlag { get; set; }
    [Description("Walk event by event, showing what each one changed")] public bool StepFlag { get; set; }
    [Description("Write the state as the API's JSON (GET /api/relations/{pair}/state) instead of tables")] public bool JsonFlag { get; set; }
}

[Description("Replays a relationship's history to a date and prints its state as tables", Name = "replay")]
public sealed class ReplayCommand : JasperFxAsyncCommand<ReplayInput>
{
    public override async Task<bool> Execute(ReplayInput input)
    {
        var problems = new Problems();
        if (!Pair.TryParse(input.PairFlag, out var pair)) problems.Add("--pair", PairRule);
        var to = Reading.ParseDate(input.ToFlag, "--to", problems);
        var knowledge = Reading.ParseKnowledge(input.KnownAtFlag, null, problems, "--known-at");
        if (input.StepFlag && input.JsonFlag) problems.Add("--json", "Give --step or --json, not both: the walk is for reading.");
        if (Report(problems)) return false;

        return await CommandHost.RunAsync(input, async host =>
        {
            await using var session = host.Store.QuerySession();
            var asOf = to ?? host.Today;
            await RecordedHorizon.Of(host.Store).SettleAsync(knowledge.KnownAt, CancellationToken.None);
            var known = await Reading.LoadAsync(session, pair, knowledge, CancellationToken.None);
            var resolved = Provenance.Resolve(known);
            var state = RelationshipState.Fold(resolved, asOf);
            if (input.JsonFlag)
            {
                var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
                await WriteJsonAsync(StateView.Of(pair, asOf, knowledge.KnownAt ?? now, ReadBasis.Of(known), state));
                return true;
            }
            if (input.StepFlag) Step(resolved, asOf);
            ReplayTables.Write(pair, asOf, knowledge, state);
            return true;
        });
    }

    /// <summary>The state as the API answers it, on standard output (reserved for it: <see cref="DataOutput"/>).</summary>
    private static async Task WriteJsonAsync(StateView view)
    {
        await using var output = DataOutput.Data;
        await System.Text.Json.JsonSerializer.SerializeAsync(output, view, Platform.LedgerHttp.AnswerOptions);
        await output.WriteAsync("\n"u8.ToArray());
    }

    private static void Step(IReadOnlyList<ResolvedEvent> resolved, DateOnly asOf)
    {
        var state = RelationshipState.Empty;
        foreach (var e in resolved.Where(e => !e.Retracted).TakeWhile(e => e.Effective <= asOf))
        {
            var next = state.Evolve(e.Event);
            AnsiConsole.MarkupLineInterpolated($"[bold]{e.Event.OccurredOn}[/] [blue]{e.Event.GetType().Name}[/] {e.Event.Summary}");
            foreach (var change in RelationshipDiff.Between(state, next))
                AnsiConsole.MarkupLineInterpolated($"    [grey]{change.Kind} {change.Section}:[/] {change.Key}");
            state = next;
        }
        AnsiConsole.WriteLine();
    }

    public const string PairRule = "Two ISO 3166-1 alpha-2 codes, e.g. US-BY.";

    /// <summary>Writes each problem, named by its flag, to standard error; whether there were any.</summary>
    public static bool Report(Problems problems)
    {
        foreach (var (field, messages) in problems) DataOutput.Errors.MarkupLineInterpolated($"[red]{field}[/]: {string.Join(" ", messages)}");
        return problems.Count > 0;
    }
}

public static class ReplayTables
{
    public static void Write(Pair pair, DateOnly asOf, Knowledge knowledge, RelationshipState s)
    {
        var known = knowledge.KnownAt is { } at ? $", as known at {at:O}" : "";
        AnsiConsole.Write(new Rule($"[bold]{pair.Id}[/] as of {asOf:yyyy-MM-dd}{known}: {s.EventCount} events"));
        Table("Embassies", ["Embassy of", "City", "Status", "Since"], s.Embassies.Values.Select(e => new[] { e.EmbassyOf, e.City, Lower(e.Status), $"{e.Since}" }));
        Table("Ambassadors", ["Of", "Name", "Status", "Since"], s.Ambassadors.Values.Select(a => new[] { a.AmbassadorOf, a.Name ?? "", Lower(a.Status), $"{a.Since}" }));
        Table("Sanctions", ["Issuer", "Target", "Program", "Status", "Since"],
            s.Sanctions.Values.Select(m => new[] { m.ImposedBy, m.Target, m.Program ?? "", Lower(m.Status), $"{m.Since}" }));
        var p = s.PrisonersReleased;
        AnsiConsole.MarkupLineInterpolated($"[bold]Prisoners released:[/] {p.Total} in {p.Releases} releases ({string.Join(", ", p.ByNationality.Select(kv => $"{kv.Key} {kv.Value}"))})");
        if (s.LastContact is { } c) AnsiConsole.MarkupLineInterpolated($"[bold]Last high-level contact:[/] {c.OccurredOn} {c.Type}: {c.Summary}");
    }

    /// <summary>An enum value as the API writes it: active, eased, …</summary>
    public static string Lower<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    /// <summary>A table of plain texts (escaped, never read as markup), titled when <paramref name="title"/> is given.</summary>
    public static void Table(string? title, string[] columns, IEnumerable<string[]> rows)
    {
        var table = new Table { Title = title is null ? null : new TableTitle(title), Border = TableBorder.Rounded };
        foreach (var column in columns) table.AddColumn(column);
        foreach (var row in rows) table.AddRow(row.Select(cell => new Markup(Markup.Escape(cell))).ToArray());
        AnsiConsole.Write(table);
    }
}
