using Marten;

namespace RelationsLedger.Relations.Replaying;

/// <summary>Optional read replica (<c>ConnectionStrings:LedgerReplica</c>, e.g. Npgsql multi-host with
/// <c>Target Session Attributes=prefer-standby</c>). Only reads pinned by a basis go there, and only once the replica
/// has replayed that pair up to the basis; reads that need the newest state stay on the primary.</summary>
public sealed class ReadReplica(IConfiguration configuration, IDocumentStore store, ILogger<ReadReplica> logger)
{
    private readonly string? _connectionString = configuration.GetConnectionString("LedgerReplica") is { Length: > 0 } c ? Platform.LedgerStore.Tuned(c) : null;

    /// <summary>A session to read the pinned pair from, and where it reads ("replica" or "primary").</summary>
    public async Task<(IQuerySession Session, bool OwnsSession, string Source)> ForPinnedAsync(IQuerySession primary, Pair pair, long basis, CancellationToken ct)
    {
        if (_connectionString is null) return (primary, false, "primary");
        var replica = store.QuerySession(Marten.Services.SessionOptions.ForConnectionString(_connectionString));
        try
        {
            var needed = Math.Min(basis, await Reading.LastSequenceAsync(primary, pair, ct));
            if (await Reading.LastSequenceAsync(replica, pair, ct) >= needed) return (replica, true, "replica");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or NotSupportedException or ArgumentException or TimeoutException)
        {
            logger.LogWarning(ex, "The read replica is not usable; reading from the primary");
        }
        await replica.DisposeAsync();
        return (primary, false, "primary");
    }
}
