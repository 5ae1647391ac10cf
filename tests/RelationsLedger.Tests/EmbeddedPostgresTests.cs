using System.Net.Sockets;
using Npgsql;
using RelationsLedger.Platform;

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
        RelationsLedger.Tests.Support.AppProcess.RunAsync([RelationsLedger.Tests.Support.AppProcess.AppDll, verb],
            new Dictionary<string, string?> { ["Ledger__DataDirectory"] = root, ["ConnectionStrings__Ledger"] = null }, TestContext.Current.CancellationToken);

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
