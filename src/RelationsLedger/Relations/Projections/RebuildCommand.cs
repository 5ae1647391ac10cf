using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using Spectre.Console;

namespace RelationsLedger.Relations.Projections;

public sealed class RebuildInput : NetCoreInput
{
    [Description("Rebuild even though API nodes run on this database (their summary projection must be caught up)")]
    public bool ForceFlag { get; set; }
}

[Description("Rebuilds the timeline and summary projections from the event log in one pass (stop the API nodes first)", Name = "rebuild")]
public sealed class RebuildCommand : JasperFxAsyncCommand<RebuildInput>
{
    public override Task<bool> Execute(RebuildInput input) => CommandHost.RunAsync(input, async host =>
    {
        if (!input.ForceFlag && !await host.NoNodesRunAsync(
                "Their daemon keeps the summary projection's position in memory, and a rebuild that rewrites it under them stops that projection until they restart.", "rebuilds"))
            return false;
        var result = await Rebuild.RunAsync(host.Store);
        AnsiConsole.MarkupLineInterpolated(
            $"[green]Rebuilt[/] {result.TimelineRows} timeline rows and {result.Pairs} pair summaries from {result.Events} events in {result.Elapsed.TotalSeconds:0.0} s ({result.EventsPerSecond:#,0} events/s).");
        return true;
    });
}
