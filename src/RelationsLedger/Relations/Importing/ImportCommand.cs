using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using RelationsLedger.Relations.Replaying;
using Spectre.Console;

namespace RelationsLedger.Relations.Importing;

public sealed class ImportInput : NetCoreInput
{
    [Description("NDJSON (one event per line, each with its \"pair\") or a JSON array")] public string File { get; set; } = "";
    [Description("Restore an export into an empty ledger: keep each line's recorded sequence, time and writer, so reads as known at any instant answer as they did")]
    public bool AsRecordedFlag { get; set; }
    [Description("With --as-recorded: restore even though API nodes run on this database (nothing may write to it meanwhile)")]
    public bool ForceFlag { get; set; }
}

[Description("Imports events from a file with the HTTP API's validation; invalid lines stop the import before anything is appended", Name = "import")]
public sealed class ImportCommand : JasperFxAsyncCommand<ImportInput>
{
    public override async Task<bool> Execute(ImportInput input)
    {
        if (!System.IO.File.Exists(input.File))
        {
            DataOutput.Errors.MarkupLineInterpolated($"[red]No file {input.File}[/]");
            return false;
        }
        if (input.ForceFlag && !input.AsRecordedFlag)
        {
            DataOutput.Errors.MarkupLine("[red]--force is for a restore: give it with --as-recorded[/]");
            return false;
        }
        return await CommandHost.RunAsync(input, async host =>
        {
            if (input.AsRecordedFlag && !input.ForceFlag && !await host.NoNodesRunAsync(
                    "A restore writes at its file's sequences, and an event appended meanwhile would take one of them.", "restores"))
                return false;
            ImportResult result = null!;
            // progress is no result: on standard error, beside the complaints, so that standard output holds the outcome alone
            await DataOutput.Errors.Progress().StartAsync(async progress =>
            {
                // lines stream through validation (only the validated events are kept); the total is known once it is done
                // every line is checked before anything is written: a large file spends its first seconds there
                var task = progress.AddTask("Checking every line", maxValue: double.MaxValue);
                result = await Importer.ImportAsync(host.Services.GetRequiredService<Recording.Appending>(), Importer.ReadLines(input.File), host.Today,
                    (n, total) => { task.Description = input.AsRecordedFlag ? "Restoring events" : "Importing events"; task.MaxValue = total; task.Increment(n); },
                    asRecorded: input.AsRecordedFlag);
            });
            if (ReplayCommand.Report(result.Problems))
            {
                // every line was valid, but a write met the ledger as it is (a fact retracted meanwhile): what went before stays
                if (result.Appended > 0 && input.AsRecordedFlag)
                    DataOutput.Errors.MarkupLineInterpolated(
                        $"[yellow]{result.Appended} events were restored before the restore stopped[/]: restore again into a new, empty database.");
                else if (result.Appended > 0)
                    DataOutput.Errors.MarkupLineInterpolated(
                        $"[yellow]{result.Appended} events were appended before the import stopped[/], {result.AlreadyPresent} already present. Importing the file again skips what is recorded.");
                return false;
            }
            if (input.AsRecordedFlag) AnsiConsole.MarkupLineInterpolated($"[green]{result.Appended} events restored[/] at their recorded sequences, times and writers.");
            else AnsiConsole.MarkupLineInterpolated($"[green]{result.Appended} events appended[/], {result.AlreadyPresent} already present.");
            return true;
        });
    }
}
