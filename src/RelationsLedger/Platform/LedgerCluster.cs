using Wolverine;

namespace RelationsLedger.Platform;

public static class LedgerCluster
{
    /// <summary>Several identical nodes on one PostgreSQL: Wolverine's node agents (health checks in the database)
    /// hand the async projections to one live node and move them within seconds when that node dies.</summary>
    public static WolverineOptions UseLedgerCluster(this WolverineOptions opts)
    {
        opts.Discovery.IncludeAssembly(typeof(LedgerCluster).Assembly);
        opts.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(2);
        opts.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(8);
        opts.Durability.CheckAssignmentPeriod = TimeSpan.FromSeconds(3);
        opts.Durability.NodeReassignmentPollingTime = TimeSpan.FromSeconds(3);
        return opts;
    }
}
