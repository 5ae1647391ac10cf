using JasperFx.CommandLine;
using Marten;
using RelationsLedger.Platform;

namespace RelationsLedger.CommandLine;

/// <summary>The app's services for a command-line verb: the same store and database as the web app, schema applied,
/// and the embedded PostgreSQL (if one was started) stopped at the end.</summary>
public sealed class CommandHost : IAsyncDisposable
{
    private readonly IHost _host;

    private CommandHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;
    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();
    public DateOnly Today => Services.GetRequiredService<TimeProvider>().Today();

    /// <summary>Runs <paramref name="verb"/> on the app's services, or says in one line why the database cannot be
    /// reached (<see cref="UnreachableDatabase"/>) or started. Called once the verb's flags are read.</summary>
    public static async Task<bool> RunAsync(NetCoreInput input, Func<CommandHost, Task<bool>> verb)
    {
        var host = input.BuildHost();
        if (LocalPostgres.ReportedMissing(host.Services.GetRequiredService<IConfiguration>())) return false;
        await using var command = new CommandHost(host);
        if (await UnreachableDatabase.ReportedAsync(command.Store)) return false;
        await command.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return await verb(command);
    }

    /// <summary>False, said in one line, when API nodes check in on this database (<see cref="LedgerCluster.LiveNodesAsync"/>):
    /// a verb that rewrites what they hold must not run beside them. <paramref name="why"/> says what would go wrong,
    /// <paramref name="forced"/> what its --force does.</summary>
    public async Task<bool> NoNodesRunAsync(string why, string forced)
    {
        if (await LedgerCluster.LiveNodesAsync(Store) is not { Count: > 0 } nodes) return true;
        Spectre.Console.AnsiConsoleExtensions.MarkupLineInterpolated(DataOutput.Errors, $"[red]API nodes run on this database[/] ({string.Join("; ", nodes)}): stop them first. {why} [grey](--force {forced} anyway.)[/]");
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.GetRequiredService<LedgerDatabase>().StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
