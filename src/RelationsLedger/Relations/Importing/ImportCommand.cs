using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using RelationsLedger.Relations.Replaying;
using Spectre.Console;

namespace RelationsLedger.Relations.Importing;

public sealed class ImportInput : NetCoreInput
{
    [Description("NDJSON (one event per line, each with its \"pair\") or a JSON array")] public string File { get; set; } = "";
}

[Description("Imports events from a file with the HTTP API's validation; invalid lines stop the import before anything is appended", Name = "import")]
public sealed class ImportCommand : JasperFxAsyncCommand<ImportInput>
{
    public override async Task<bool> Execute(ImportInput input)
    {
        if (!System.IO.File.Exists(input.File))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No file {input.File}[/]");
            return false;
        }
        await using var host = await CommandHost.OpenAsync(input);
        List<ImportLine> lines;
        using (var reader = System.IO.File.OpenText(input.File)) lines = Importer.ReadLines(reader).ToList();
        ImportResult result = null!;
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Importing {lines.Count} events", maxValue: lines.Count);
            result = await Importer.ImportAsync(host.Services.GetRequiredService<Recording.Appending>(), lines, host.Today, n => task.Increment(n));
        });
        if (ReplayCommand.Report(result.Problems)) return false;
        AnsiConsole.MarkupLineInterpolated($"[green]{result.Appended} events appended[/], {result.AlreadyPresent} already present.");
        return true;
    }
}
