using RelationsLedger.Platform;

namespace RelationsLedger.Tests.Support;

/// <summary>A throwaway PostgreSQL cluster of a test's own (the app's embedded code, fsync off), for tests that stop,
/// kill or crowd their database or run the app as a process beside the shared host's.</summary>
public static class ScratchCluster
{
    public static Task<LocalPostgres> StartAsync(string purpose) =>
        LocalPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"relationsledger-{purpose}-{Guid.NewGuid():N}"), throwaway: true);
}
