using RelationsLedger.Platform;
using Testcontainers.PostgreSql;

namespace RelationsLedger.Tests.Support;

/// <summary>One real PostgreSQL for the whole run: ConnectionStrings__Ledger if set, else Testcontainers if a
/// Docker engine answers, else a throwaway cluster from the local server binaries (the app's own embedded code).</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private PostgreSqlContainer? _container;
    private LocalPostgres? _local;

    public string ConnectionString { get; private set; } = "";
    public string Origin { get; private set; } = "";

    public static async Task<TestDatabase> StartAsync()
    {
        var db = new TestDatabase();
        var configured = Environment.GetEnvironmentVariable("ConnectionStrings__Ledger");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            (db.ConnectionString, db.Origin) = (configured, "ConnectionStrings__Ledger");
            return db;
        }
        var failures = new List<string>();
        try
        {
            db._container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await db._container.StartAsync();
            (db.ConnectionString, db.Origin) = (db._container.GetConnectionString(), "Testcontainers");
            return db;
        }
        catch (Exception ex)
        {
            failures.Add($"Testcontainers: {ex.GetType().Name}: {ex.Message}");
            db._container = null;
        }
        try
        {
            var root = Path.Combine(Path.GetTempPath(), $"relationsledger-tests-{Guid.NewGuid():N}");
            db._local = await LocalPostgres.StartAsync(root, throwaway: true);
            (db.ConnectionString, db.Origin) = (db._local.ConnectionString, $"local cluster on port {db._local.Port}");
            return db;
        }
        catch (Exception ex)
        {
            failures.Add($"local cluster: {ex.Message}");
        }
        throw new InvalidOperationException(
            "No PostgreSQL for the tests. Set ConnectionStrings__Ledger, start Docker, or install the PostgreSQL server " +
            "binaries (apt-get install postgresql). Tried: " + string.Join(" | ", failures));
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
        if (_local is not null) await _local.DisposeAsync();
    }
}
