using Marten;
using Npgsql;

namespace RelationsLedger.CommandLine;

/// <summary>A verb on a database it cannot reach ends with one line on standard error saying where and why, and exit
/// code 1: the command line's own error handler prints a stack trace, and some verbs only a report that does not say why.</summary>
public static class UnreachableDatabase
{
    /// <summary>The verbs Marten, Weasel, Wolverine and JasperFx bring that connect to the database (<c>run</c>, the
    /// default, is the web app), each with those of its actions that do not. The others (help, describe, db-list,
    /// db-dump, codegen, openapi, the event-model verbs) work without it; a verb a new version adds is not checked
    /// until it is named here.</summary>
    private static readonly Dictionary<string, string[]> ConnectingVerbs = new()
    {
        ["run"] = [],
        ["db-apply"] = [], ["db-assert"] = [], ["db-patch"] = [],
        ["check-env"] = [], ["resources"] = ["list"], ["capabilities"] = [],
        ["projections"] = ["list"], ["projection-run"] = [], ["event-query"] = [], ["stream-query"] = [], ["marten"] = [],
        ["storage"] = [], ["clear-handled"] = [],
        ["wolverine-diagnostics"] = ["describe-handlers", "fsharp-coverage"],
    };

    /// <summary>True, having said why, when <paramref name="args"/> name one of those verbs and the database cannot be
    /// reached. The app's own verbs check in <see cref="CommandHost"/>, after their flags.</summary>
    public static async Task<bool> StopsAsync(IServiceProvider services, string[] args)
    {
        var verb = DataOutput.Verb(args);
        var action = args is [_, var second, ..] ? second.ToLowerInvariant() : null;
        if (!ConnectingVerbs.TryGetValue(verb, out var offline) || action is not null && offline.Contains(action)) return false;
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
