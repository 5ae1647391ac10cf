using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx.CommandLine;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

[assembly: AssemblyFixture(typeof(RelationsLedger.Tests.Support.LedgerApp))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace RelationsLedger.Tests.Support;

/// <summary>The app under test, once per run, over real PostgreSQL; tests reset the data, not the host.</summary>
public sealed class LedgerApp : IAsyncLifetime
{
    public const string ApiKey = "test-key-0123456789";

    /// <summary>A second key, configured by its hash under the name "newsroom".</summary>
    public const string NewsroomKey = "newsroom-key-0123456789";
    private TestDatabase _database = null!;
    private WebApplicationFactory<Program> _factory = null!;

    public HttpClient Client { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;
    public string ConnectionString => _database.ConnectionString;
    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.StartAsync();
        JasperFxEnvironment.AutoStartHost = true;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Ledger", _database.ConnectionString);
            b.UseSetting("Ledger:SeedOnStart", "false");
            b.UseSetting("Ledger:ApiKey", ApiKey);
            b.UseSetting("Ledger:ApiKeys:newsroom", Convert.ToHexString(RelationsLedger.Platform.ApiKeys.Hash(NewsroomKey)));
            b.UseSetting("Ledger:RateLimit:PermitsPerMinute", "1000000");
        });
        Client = CreateClient();
        await WaitForProjectionAgentAsync();
    }

    public HttpClient CreateClient(string? apiKey = ApiKey)
    {
        var client = _factory.CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>A second host on the same database with other settings, for the few tests that need them.</summary>
    public WebApplicationFactory<Program> WithSettings(params (string Key, string Value)[] settings) =>
        _factory.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings) b.UseSetting(key, value);
            // not a node of the cluster: Wolverine spreads its agents over the live nodes and moved the summary projection
            // to such a host for its few hundred milliseconds — two daemons then wrote the projection's progress
            // (ProgressionProgressOutOfOrderException) and the shard stopped for good
            b.ConfigureServices(services => services.ConfigureWolverine(o => o.Durability.Mode = DurabilityMode.Serverless));
        });

    /// <summary>Every test starts from an empty ledger.</summary>
    public async Task ResetAsync()
    {
        await Services.ResetAllMartenDataAsync();
        Relations.Recording.RecordedHorizon.Of(Store).Forget();
        await EnsureSummaryShardRunsAsync();
    }

    private const string SummaryShard = "RelationshipSummaryProjection:All";

    /// <summary>A reset stops the daemon's shards and starts them again while Wolverine may be starting the same agent;
    /// on a slow CI machine the shard stayed down after it (no agent in the daemon) and the next test waited 30 s for
    /// nothing. The reset is the harness's own doing, so the harness sees the shard running after it, starting it when
    /// Wolverine has not within 3 s. The daemon's WaitForShardToBeRunning answers at once even with no agent at all, so
    /// this looks at the agents themselves.</summary>
    private async Task EnsureSummaryShardRunsAsync()
    {
        var daemon = Daemon;
        bool Running() => daemon.CurrentAgents().Any(a => a.Name.Identity == SummaryShard && a.Status == JasperFx.AgentStatus.Running);
        var started = false;
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (!Running())
        {
            if (DateTime.UtcNow > deadline)
            {
                if (started) throw new TimeoutException($"the summary projection's shard did not run again after a reset: {AgentsNow(daemon)}");
                await daemon.StartAgentAsync(SummaryShard, CancellationToken.None);
                started = true;
                deadline = DateTime.UtcNow.AddSeconds(10);
            }
            await Task.Delay(20);
        }
    }

    /// <summary>The daemon that runs this host's projection shards (Wolverine's agents start and stop them in it).</summary>
    private JasperFx.Events.Daemon.IProjectionDaemon Daemon =>
        Services.GetRequiredService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>().DaemonForMainDatabase();

    private static string AgentsNow(JasperFx.Events.Daemon.IProjectionDaemon daemon) =>
        $"daemon running {daemon.IsRunning}, agents: [{string.Join(", ", daemon.CurrentAgents().Select(a => $"{a.Name.Identity} {a.Status} at {a.Position}"))}]";

    /// <summary>The host takes the lead and starts the async projection a second or so after it starts; tests begin once
    /// it runs here, since a reset (which stops and restarts the projection's shard on this node) racing that first start
    /// failed it.</summary>
    private async Task WaitForProjectionAgentAsync()
    {
        var runtime = Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!runtime.Agents.AllRunningAgentUris().Any(uri => uri.Scheme == "event-subscriptions"))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the test host never started the summary projection");
            await Task.Delay(50);
        }
    }

    public async Task WaitForProjectionsAsync()
    {
        try
        {
            await Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            // what the daemon and Wolverine held when the projection did not catch up, so a failure tells its cause
            var uris = string.Join(", ", Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>().Agents.AllRunningAgentUris());
            throw new TimeoutException($"{e.Message}\n{AgentsNow(Daemon)}, Wolverine agents: [{uris}]", e);
        }
    }

    /// <summary>The ledger's rebuild beside this host, whose daemon must not be behind: a rebuild rewrites the summary
    /// projection's progress, and a daemon still working below it stops at its next write.</summary>
    public async Task<RelationsLedger.Relations.Projections.RebuildResult> RebuildAsync(CancellationToken ct)
    {
        await WaitForProjectionsAsync();
        return await RelationsLedger.Relations.Projections.Rebuild.RunAsync(Store, ct);
    }

    /// <summary>One statement on the test database, for a test that alters what is stored behind the app.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> EventCountAsync()
    {
        await using var session = Store.QuerySession();
        return await RelationsLedger.Relations.Replaying.Reading.AllRecorded(session).CountAsync();
    }

    /// <summary>Stops the host, then the database even when the host's stop failed; a failure names its step. Under the
    /// test command (which sets <c>LEDGER_TEST_TEARDOWN_LOG</c>) a failure here, after every test has run, is written
    /// to that file and printed by the command as a warning rather than failing the run: the host's own stop is tested
    /// where it is the point (the tests that start and dispose hosts of their own).</summary>
    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        var failures = new List<Exception>();
        try { if (_factory is not null) await _factory.DisposeAsync(); }
        catch (Exception ex) { failures.Add(new InvalidOperationException($"stopping the app host: {ex.Message}", ex)); }
        try { if (_database is not null) await _database.DisposeAsync(); }
        catch (Exception ex) { failures.Add(new InvalidOperationException($"stopping the test database ({_database.Origin}): {ex.Message}", ex)); }
        if (failures.Count == 0) return;
        if (Environment.GetEnvironmentVariable("LEDGER_TEST_TEARDOWN_LOG") is { Length: > 0 } log)
            await File.AppendAllLinesAsync(log, failures.Select(f => f.ToString()));
        else throw new AggregateException(failures);
    }
}

/// <summary>Base for HTTP integration tests: a clean ledger per test and small helpers for the API.</summary>
public abstract class ApiTest(LedgerApp app) : IAsyncLifetime
{
    protected LedgerApp App { get; } = app;
    protected HttpClient Http => App.Client;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await App.ResetAsync();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected async Task<HttpResponseMessage> PostEvent(string pair, object body, HttpClient? client = null) =>
        await (client ?? Http).PostAsJsonAsync($"/api/relations/{pair}/events", body, Ct);

    /// <summary>Records an event (with another key's client when given) and returns its 201 receipt.</summary>
    protected async Task<JsonObject> Record(string pair, object body, HttpClient? client = null)
    {
        var response = await PostEvent(pair, body, client);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A GET revalidating a cached copy: <paramref name="etag"/> as If-None-Match when given.</summary>
    protected async Task<HttpResponseMessage> Get(string url, string? etag = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return await Http.SendAsync(request, Ct);
    }

    protected async Task<JsonObject> GetJson(string url)
    {
        var response = await Http.GetAsync(url, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {url} → {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    protected static object Source(string outlet = "U.S. Department of State") =>
        new { outlet, title = "Press statement", url = "https://www.state.gov/", publishedOn = "2022-02-28" };

    protected static object Fact(string type, string occurredOn, object data, string? summary = null, Guid? eventId = null) =>
        new { type, occurredOn, summary = summary ?? $"{type} on {occurredOn}", data, sources = new[] { Source() }, eventId };

    protected static async Task<JsonObject> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
    }
}
