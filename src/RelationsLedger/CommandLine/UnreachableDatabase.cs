using Marten;
using Npgsql;

namespace RelationsLedger.CommandLine;

/// <summary>A verb on a database it cannot reach ends with one line on standard error saying where and why, and exit
/// code 1: the command line's own error handler prints a stack trace, and some verbs only a report that does not say why.</summary>
public static class UnreachableDatabase
{
    /// <summary>True, having said why, when <paramref name="invocation"/> is a verb that connects
    /// (<see cref="Invocation.Connects"/>) and the database cannot be reached.</summary>
    public static async Task<bool> StopsAsync(IServiceProvider services, Invocation invocation)
    {
        if (!invocation.Connects) return false;
        return await ReportedAsync(services.GetRequiredService<IDocumentStore>());
    }

    /// <summary>True, having said where and why, when the store's database cannot be connected to.</summary>
    public static async Task<bool> ReportedAsync(IDocumentStore store)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        try
        {
            await connection.OpenAsync();
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var at = new NpgsqlConnectionStringBuilder(connection.ConnectionString);
            Console.Error.WriteLine($"Cannot connect to PostgreSQL at {at.Host}:{at.Port} — {ex.GetBaseException().Message}");
            return true;
        }
    }
}
