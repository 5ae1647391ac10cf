using JasperFx;
using JasperFx.CodeGeneration;
using Marten;
using Npgsql;
using Wolverine;

namespace RelationsLedger.Platform;

public static class LedgerCluster
{
    /// <summary>A node whose last health check is older than this is dead: its agents move to the others.</summary>
    private static readonly TimeSpan StaleNodeTimeout = TimeSpan.FromSeconds(8);

    /// <summary>The app nodes on this database that checked in within <see cref="StaleNodeTimeout"/> (Wolverine's node
    /// table), each as "node N, last seen S s ago"; none where no node ever ran.</summary>
    public static async Task<IReadOnlyList<string>> LiveNodesAsync(IDocumentStore store, CancellationToken ct = default)
    {
        var table = $"{store.Options.DatabaseSchemaName}.wolverine_nodes";
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using (var exists = new NpgsqlCommand($"select to_regclass('{table}') is not null", connection))
            if (await exists.ExecuteScalarAsync(ct) is not true) return [];
        await using var command = new NpgsqlCommand(
            $"select 'node ' || node_number || ', last seen ' || round(extract(epoch from now() - health_check)::numeric, 1) || ' s ago' from {table} where health_check > now() - $1 order by node_number", connection)
        {
            Parameters = { new NpgsqlParameter<TimeSpan> { TypedValue = StaleNodeTimeout } },
        };
        var nodes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) nodes.Add(reader.GetString(0));
        return nodes;
    }

    /// <summary>Wolverine's handler code is generated ahead (`codegen write`, committed under Internal/Generated) and
    /// loaded statically: no Roslyn at run time, a faster cold start. A missing type fails the start, not a request.</summary>
    public static IServiceCollection UsePreGeneratedCode(this IServiceCollection services) => services.CritterStackDefaults(x =>
    {
        x.ApplicationAssembly = typeof(LedgerCluster).Assembly; // also under a test host, whose entry assembly is the tests'
        // the content root is the build output; `codegen write` belongs in the project folder when there is one
        var project = new DirectoryInfo(AppContext.BaseDirectory);
        while (project is not null && !File.Exists(Path.Combine(project.FullName, "RelationsLedger.csproj"))) project = project.Parent;
        if (project is not null) x.GeneratedCodeOutputPath = Path.Combine(project.FullName, "Internal", "Generated");
        foreach (var profile in new[] { x.Development, x.Production })
        {
            profile.GeneratedCodeMode = TypeLoadMode.Static;
            profile.AssertAllPreGeneratedTypesExist = true;
        }
    });

    /// <summary>Several identical nodes on one PostgreSQL: Wolverine's node agents (health checks in the database)
    /// hand the async projections to one live node and move them within seconds when that node dies.</summary>
    public static WolverineOptions UseLedgerCluster(this WolverineOptions opts)
    {
        opts.ApplicationAssembly = typeof(LedgerCluster).Assembly;
        opts.Discovery.IncludeAssembly(typeof(LedgerCluster).Assembly);
        // a node takes the lead on its second health check, and only then hands out the projection: the first check
        // at once and one a second had a fresh start's summaries listed 1.2 s after ready instead of 5 s
        opts.Durability.FirstHealthCheckExecution = TimeSpan.Zero;
        opts.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(1);
        opts.Durability.StaleNodeTimeout = StaleNodeTimeout;
        opts.Durability.CheckAssignmentPeriod = TimeSpan.FromSeconds(3);
        opts.Durability.NodeReassignmentPollingTime = TimeSpan.FromSeconds(3);
        return opts;
    }
}
