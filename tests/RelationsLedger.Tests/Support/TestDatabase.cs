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
        if (!DockerEndpointGiven()) failures.Add("Testcontainers: no Docker endpoint (DOCKER_HOST, a docker.sock)");
        else
            try
            {
                // bounded: an engine that does not answer must not hold the run, which has no test to name yet
                using var started = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                db._container = new PostgreSqlBuilder("postgres:15-alpine").Build();
                await db._container.StartAsync(started.Token);
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

    /// <summary>Whether a Docker engine could answer at all: DOCKER_HOST, Testcontainers' own settings, the Docker
    /// client's configuration, or a socket where engines put it. Without any, Testcontainers is not asked.</summary>
    private static bool DockerEndpointGiven()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST"))
               || File.Exists(Path.Combine(home, ".testcontainers.properties"))
               || File.Exists(Path.Combine(home, ".docker", "config.json")) // a Docker context may name a remote engine
               || new[] { "/var/run/docker.sock", Path.Combine(home, ".docker", "run", "docker.sock"), $"/run/user/{Environment.GetEnvironmentVariable("UID") ?? "0"}/docker.sock" }
                   .Any(File.Exists);
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
        if (_local is not null) await _local.DisposeAsync();
    }
}
