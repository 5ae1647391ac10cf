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

    public async ValueTask DisposeAsync()
    {
        await Services.GetRequiredService<LedgerDatabase>().StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
