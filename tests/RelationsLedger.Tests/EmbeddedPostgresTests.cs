using System.Net.Sockets;
using Npgsql;
using RelationsLedger.Platform;
using RelationsLedger.Seeding;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary>The embedded default: a private cluster from the local binaries that keeps its data across restarts.</summary>
public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task a_local_cluster_keeps_its_data_across_a_restart_and_stops_cleanly()
    {
        await InScratchRoot(async root =>
        {
            var first = await LocalPostgres.StartAsync(root, database: "ledger");
            await Execute(first.ConnectionString, "create table facts (what text); insert into facts values ('embassy suspended')");
            await first.StopAsync();
            Assert.False(Answers(first.Port));

            var second = await LocalPostgres.StartAsync(root, database: "ledger");
            await using var connection = new NpgsqlConnection(second.ConnectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var read = new NpgsqlCommand("select what from facts", connection);
            Assert.Equal("embassy suspended", await read.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            await connection.CloseAsync();
            await second.StopAsync();
        });
    }

    [Fact]
    public async Task a_verb_that_never_runs_the_app_stops_the_embedded_cluster_that_building_it_started()
    {
        await InScratchRoot(async root =>
        {
            var (exit, _, error) = await RunVerbAsync(root, "db-apply");
            Assert.True(exit == 0, error);
            // the cluster was made for the schema; it was stopped at exit
            Assert.True(File.Exists(Path.Combine(root, "pgdata", "PG_VERSION")));
            Assert.False(File.Exists(Path.Combine(root, "pgdata", "postmaster.pid")), "the embedded PostgreSQL still runs");
        });
    }

    [Fact]
    public async Task an_app_verb_starts_the_embedded_cluster_once_its_flags_are_read_and_stops_it_at_exit()
    {
        await InScratchRoot(async root =>
        {
            var (exit, output, error) = await RunVerbAsync(root, "seed");
            Assert.True(exit == 0, error);
            Assert.Contains("Embedded PostgreSQL listening", error);
            Assert.DoesNotContain("info:", output);
            Assert.True(File.Exists(Path.Combine(root, "pgdata", "PG_VERSION")));
            Assert.False(File.Exists(Path.Combine(root, "pgdata", "postmaster.pid")), "the embedded PostgreSQL still runs");
        });
    }

    [Fact]
    public async Task a_verb_beside_a_running_app_leaves_the_embedded_cluster_the_app_started_running()
    {
        await InScratchRoot(async root =>
        {
            // the running app's cluster (this process stands in for the app)
            var app = await LocalPostgres.StartAsync(root, database: "ledger");
            var (exit, _, error) = await RunVerbAsync(root, "db-apply");
            Assert.True(exit == 0, error);
            Assert.True(Answers(app.Port), "the verb stopped the cluster of the app running beside it");
            await app.StopAsync();
            Assert.False(Answers(app.Port));
        });
    }

    [Fact]
    public async Task a_verb_stopped_by_a_signal_exits_as_the_signal_would_and_the_embedded_cluster_it_started_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        await InScratchRoot(async root =>
        {
            // a cluster whose starter is gone, which the verb takes as its own as if it had started it; the seeds'
            // lock, held here, keeps the verb waiting until the signal
            var cluster = await LocalPostgres.StartAsync(root, database: "ledger");
            try
            {
                File.Delete(Path.Combine(root, "owner"));
                await using (var seedLock = new NpgsqlConnection(cluster.ConnectionString))
                {
                    await seedLock.OpenAsync(ct);
                    await Sql.ExecuteAsync(seedLock, $"select pg_advisory_lock({Seeds.Lock})", ct);
                    await using var verb = AppProcess.LaunchVerb(Embedded(root), "seed");
                    await verb.RunsUntilAsync(() => Sql.AdvisoryLockAwaitedAsync(cluster.ConnectionString, ct), "the verb never reached the seeds", ct);

                    verb.Terminate();
                    // 128 + SIGTERM's 15, as the signal itself ends a process, with nothing printed on the way out
                    Assert.Equal(143, await verb.ExitAsync(TimeSpan.FromSeconds(30), ct));
                    Assert.DoesNotContain("Exception", verb.Log);
                    Assert.DoesNotContain("Cannot connect", verb.Log);
                }
                // told to stop as the verb ended, the cluster stops by itself (it ran on, before)
                for (var waited = 0; Answers(cluster.Port) && waited < 100; waited++) await Task.Delay(100, ct);
                Assert.False(Answers(cluster.Port), "the embedded PostgreSQL still runs");
                Assert.False(File.Exists(Path.Combine(root, "pgdata", "postmaster.pid")), "the embedded PostgreSQL still runs");
            }
            finally { await cluster.StopAsync(); }
        });
    }

    [Fact]
    public async Task a_stop_while_the_web_app_starts_its_embedded_cluster_lets_the_start_end_then_stops_the_app_and_the_cluster()
    {
        var ct = TestContext.Current.CancellationToken;
        await InScratchRoot(async root =>
        {
            var environment = Embedded(root);
            environment["Ledger__SeedOnStart"] = "false";
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{AppProcess.FreePort()}";
            await using var app = AppProcess.LaunchVerb(environment);
            // the signal lands while initdb makes the cluster: before the host, and its lifetime, are there to take it
            await app.RunsUntilAsync(() => Task.FromResult(app.Log.Contains("starting the embedded PostgreSQL")), "the app never started its cluster", ct);

            app.Terminate();
            Assert.Equal(0, await app.ExitAsync(TimeSpan.FromSeconds(60), ct));
            Assert.Contains("Stopping once the app has started (SIGTERM again to stop at once)", app.Log);
            Assert.Contains("Application started.", app.Log);
            Assert.DoesNotContain("Exception", app.Log);
            Assert.False(File.Exists(Path.Combine(root, "pgdata", "postmaster.pid")), "the embedded PostgreSQL still runs");
        });
    }

    /// <summary>Runs <paramref name="test"/> on a cluster root in a new temporary folder, removed afterwards.</summary>
    private static async Task InScratchRoot(Func<string, Task> test)
    {
        var root = Path.Combine(Path.GetTempPath(), $"relationsledger-embedded-{Guid.NewGuid():N}");
        try { await test(root); }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static Task<(int Exit, string Output, string Error)> RunVerbAsync(string root, string verb) =>
        AppProcess.RunAsync([AppProcess.AppDll, verb], Embedded(root), TestContext.Current.CancellationToken);

    /// <summary>The app's environment for the embedded default in <paramref name="root"/>: no connection string.</summary>
    private static Dictionary<string, string?> Embedded(string root) => new() { ["Ledger__DataDirectory"] = root, ["ConnectionStrings__Ledger"] = null };

    private static async Task Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
        NpgsqlConnection.ClearPool(connection);
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException) { return false; }
    }
}

public sealed class MissingPostgresTests
{
    [Fact]
    public async Task without_a_connection_string_or_server_binaries_the_app_exits_with_one_clear_message()
    {
        var (exit, _, error) = await RelationsLedger.Tests.Support.AppProcess.RunAsync([RelationsLedger.Tests.Support.AppProcess.AppDll],
            new Dictionary<string, string?> { ["Ledger__PostgresBinaries"] = "/nonexistent/postgresql/bin", ["ConnectionStrings__Ledger"] = null },
            TestContext.Current.CancellationToken);
        Assert.Equal(1, exit);
        Assert.Contains("apt-get install postgresql", error);
        Assert.Contains("docker-compose up", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("replay --pair US-BY --to 2025-13-45", "--to: Must be a date")]
    [InlineData("sanctions --status gone", "--status: Must be one of")]
    [InlineData("export --pair US-BY --all", "Give --pair US-BY or --all, not both")]
    [InlineData("import /nonexistent/ledger.ndjson", "No file /nonexistent/ledger.ndjson")]
    [InlineData("export --pair ZZ", "--pair: Two ISO 3166-1 alpha-2 codes")]
    [InlineData("export", "Give --pair US-BY or --all")]
    [InlineData("replay --pair US-BY --to 2025 --json", "--to: Must be a date")]
    [InlineData("sanctions --status gone --csv", "--status: Must be one of")]
    [InlineData("replay --pair US-BY", "apt-get install postgresql")]
    [InlineData("seed", "apt-get install postgresql")]
    public async Task the_apps_verbs_read_their_flags_before_they_need_postgresql_and_make_nothing_when_they_stop(string commandLine, string says)
    {
        var (root, exit, output, error) = await RunWithoutPostgresAsync(commandLine);
        Assert.Equal(1, exit);
        // a complaint goes to standard error, whether or not the verb's output is data
        Assert.Contains(says, error);
        Assert.DoesNotContain(says, output);
        Assert.DoesNotContain("Exception", output + error);
        Assert.False(Directory.Exists(root));
    }

    [Theory]
    [InlineData("help")]
    [InlineData("help replay")]
    [InlineData("replay --help")]
    [InlineData("export -h")]
    [InlineData("describe")]
    [InlineData("openapi")]
    [InlineData("db-list")]
    [InlineData("projections list")]
    [InlineData("codegen preview")]
    public async Task verbs_that_never_connect_work_without_a_connection_string_or_server_binaries_and_write_nothing(string commandLine)
    {
        var (root, exit, output, error) = await RunWithoutPostgresAsync(commandLine);
        Assert.True(exit == 0, output + error);
        Assert.DoesNotContain("needs PostgreSQL", output + error);
        Assert.NotEqual("", output.Trim());
        // no cluster made and no API key generated (a key printed to a verb would be missed, and never printed again)
        Assert.False(Directory.Exists(root), string.Join(", ", Directory.Exists(root) ? Directory.GetFileSystemEntries(root) : []));
    }

    /// <summary>Runs the app with <paramref name="commandLine"/>, no connection string and no server binaries, its
    /// data directory a new folder's path (not made).</summary>
    private static async Task<(string Root, int Exit, string Output, string Error)> RunWithoutPostgresAsync(string commandLine)
    {
        var root = Path.Combine(Path.GetTempPath(), $"relationsledger-missing-{Guid.NewGuid():N}");
        var (exit, output, error) = await RelationsLedger.Tests.Support.AppProcess.RunAsync([RelationsLedger.Tests.Support.AppProcess.AppDll, .. commandLine.Split(' ')],
            new Dictionary<string, string?> { ["Ledger__PostgresBinaries"] = "/nonexistent/postgresql/bin", ["ConnectionStrings__Ledger"] = null, ["Ledger__DataDirectory"] = root },
            TestContext.Current.CancellationToken);
        return (root, exit, output, error);
    }
}
