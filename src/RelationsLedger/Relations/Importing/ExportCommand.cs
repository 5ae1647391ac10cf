using JasperFx.CommandLine;
using Marten;
using RelationsLedger.CommandLine;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Replaying;
using Spectre.Console;

namespace RelationsLedger.Relations.Importing;

public sealed class ExportInput : NetCoreInput
{
    [Description("The pair to export, e.g. US-BY")] public string? PairFlag { get; set; }
    [Description("Export every pair")] public bool AllFlag { get; set; }
    [Description("Write to this file (default: standard output)")] public string? OutFlag { get; set; }
}

[Description("Exports events as NDJSON in recorded order, with their recorded sequence, time and writer; `import` reads it back (`--as-recorded` keeps them)", Name = "export")]
public sealed class ExportCommand : JasperFxAsyncCommand<ExportInput>
{
    public override async Task<bool> Execute(ExportInput input)
    {
        if (input.AllFlag && input.PairFlag is not null)
        {
            DataOutput.Errors.MarkupLine("[red]Give --pair US-BY or --all, not both[/]");
            return false;
        }
        Pair? only = null;
        if (!input.AllFlag && input.PairFlag is null)
        {
            DataOutput.Errors.MarkupLine("[red]Give --pair US-BY or --all[/]");
            return false;
        }
        if (!input.AllFlag && !Pair.TryParse(input.PairFlag, out only!))
        {
            ReplayCommand.Report(new Recording.Problems { { "--pair", ReplayCommand.PairRule } });
            return false;
        }
        // the file is written once the database answers, and put in place whole: a failed connection, or an export
        // cut short, leaves an earlier export where it is
        return await CommandHost.RunAsync(input, async host =>
        {
            await using var session = host.Store.QuerySession();
            if (input.OutFlag is null)
            {
                await using var data = new StreamWriter(DataOutput.Data);
                var written = await ExportAsync(session, only, data);
                // standard output holds the events alone: the count, a mistyped pair's 0 above all, goes beside it
                DataOutput.Errors.MarkupLineInterpolated($"{written} events written to standard output{(written == 0 && only is not null ? $": {only.Id} has none" : "")}");
                return true;
            }
            var count = 0;
            try
            {
                await WholeFile.WriteAsync(input.OutFlag, async file =>
                {
                    await using var writer = new StreamWriter(file, leaveOpen: true);
                    count = await ExportAsync(session, only, writer);
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                DataOutput.Errors.MarkupLineInterpolated($"[red]Cannot write {input.OutFlag}[/]: {ex.Message}");
                return false;
            }
            AnsiConsole.MarkupLineInterpolated($"[green]{count} events written to {input.OutFlag}[/]");
            return true;
        });
    }

    /// <summary>The log oldest first, as the events feed pages it (<see cref="ListRecorded"/>), up to the sequences settled
    /// when it starts: a page at a time, streamed (the whole ledger in a list took 249 MB of memory for 100,000 events).</summary>
    public static async Task<int> ExportAsync(IQuerySession session, Pair? only, TextWriter writer, CancellationToken ct = default)
    {
        var settled = await Recording.RecordedHorizon.Of(session.DocumentStore).SettleDrawnAsync(ct);
        var rows = EventRows.Of(session.DocumentStore);
        var (count, after) = (0, 0L);
        for (var page = ListRecorded.MaxLimit; page == ListRecorded.MaxLimit;)
        {
            page = 0;
            await foreach (var (sequence, line) in ListRecorded.LinesAsync(session, ListRecorded.Command(rows, false, after, settled, only, null, null, ListRecorded.MaxLimit), ct))
            {
                await writer.WriteLineAsync(line.ToJsonString());
                (count, after, page) = (count + 1, sequence, page + 1);
            }
        }
        return count;
    }
}
