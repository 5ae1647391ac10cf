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

    public static async Task<CommandHost> OpenAsync(NetCoreInput input)
    {
        var host = input.BuildHost();
        var command = new CommandHost(host);
        await command.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.GetRequiredService<LedgerDatabase>().StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
