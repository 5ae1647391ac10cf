using JasperFx.CommandLine;
using RelationsLedger.CommandLine;
using RelationsLedger.Relations.Replaying;
using Spectre.Console;

namespace RelationsLedger.Seeding;

[Description("Loads the seed files (idempotent: events already recorded are skipped)", Name = "seed")]
public sealed class SeedCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override Task<bool> Execute(NetCoreInput input) => CommandHost.RunAsync(input, async host =>
    {
        var result = await host.Services.GetRequiredService<Seeds>().LoadAsync();
        AnsiConsole.MarkupLineInterpolated($"{result.Appended} events appended, {result.AlreadyPresent} already present.");
        return !ReplayCommand.Report(result.Problems);
    });
}
