using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using Spectre.Console;

namespace RelationsLedger.Relations.Projections;

[Description("Rebuilds the timeline and summary projections from the event log in one pass (stop the API nodes first)", Name = "rebuild")]
public sealed class RebuildCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        await using var host = await CommandHost.OpenAsync(input);
        var result = await Rebuild.RunAsync(host.Store);
        AnsiConsole.MarkupLineInterpolated(
            $"[green]Rebuilt[/] {result.TimelineRows} timeline rows and {result.Pairs} pair summaries from {result.Events} events in {result.Elapsed.TotalSeconds:0.0} s ({result.EventsPerSecond:#,0} events/s).");
        return true;
    }
}
