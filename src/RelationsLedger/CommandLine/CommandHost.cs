using JasperFx.CommandLine;
using Marten;
using Npgsql;
using RelationsLedger.Platform;
using Spectre.Console;

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

    /// <summary>Runs <paramref name="verb"/> on the app's services. A database the verb cannot reach ends it with one
    /// line saying where and why, and a non-zero exit: the command line's own error handler prints a stack trace.</summary>
    public static async Task<bool> RunAsync(NetCoreInput input, Func<CommandHost, Task<bool>> verb)
    {
        await using var command = new CommandHost(input.BuildHost());
        if (await command.UnreachableAsync() is { } problem)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{problem}[/]");
            return false;
        }
        await command.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return await verb(command);
    }

    /// <summary>Why the store's database cannot be connected to, or null when it can.</summary>
    private async Task<string?> UnreachableAsync()
    {
        await using var connection = Store.Storage.Database.CreateConnection();
        try
        {
            await connection.OpenAsync();
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var at = new NpgsqlConnectionStringBuilder(connection.ConnectionString);
            return $"Cannot connect to PostgreSQL at {at.Host}:{at.Port} — {ex.GetBaseException().Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Services.GetRequiredService<LedgerDatabase>().StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
