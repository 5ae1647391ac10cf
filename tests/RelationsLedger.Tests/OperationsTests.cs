using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class OperationsTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task metrics_are_scraped_at_metrics_with_events_appended_by_type_and_as_of_latency()
    {
        await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        await GetJson("/api/relations/US-BY/state?asOf=2022-03-01");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string text;
        do
        {
            text = await Http.GetStringAsync("/metrics", Ct);
            if (text.Contains("ledger_events_appended")) break;
            await Task.Delay(200, Ct);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Contains("ledger_events_appended", text);
        Assert.Contains("type=\"EmbassyClosed\"", text);
        Assert.Contains("ledger_asof_duration", text);
        Assert.Contains("ledger_projection_lag_events", text);
        // the view that bounds each metric's series keeps the instruments' own histogram buckets (ASP.NET Core's advice)
        Assert.Contains("http_server_request_duration_seconds_bucket{", text);
        Assert.Contains("le=\"0.005\"", text);
        Assert.DoesNotContain("otel_metric_overflow", text);
    }

    [Fact]
    public async Task ready_fails_when_projection_lag_is_over_its_bound_while_live_stays_up()
    {
        await using var strict = App.WithSettings(("Ledger:Health:MaxProjectionLag", "-1"));
        using var client = strict.CreateClient();
        // each answer's body says which check failed and why, should one of them ever differ
        async Task<string> Answers(HttpClient http, string path, HttpStatusCode expected)
        {
            using var response = await http.GetAsync(path, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
            return body;
        }
        // readiness names the failing check and why
        var ready = JsonNode.Parse(await Answers(client, "/health/ready", HttpStatusCode.ServiceUnavailable))!;
        Assert.Equal("Unhealthy", (string)ready["status"]!);
        var checks = ready["checks"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => $"{c!["status"]}: {c["description"]}");
        Assert.Equal("Healthy: ", checks["database"]);
        Assert.Matches(@"^Unhealthy: projection lag \d+ events is over -1$", checks["projections"]);
        await Answers(client, "/health/live", HttpStatusCode.OK);
        await Answers(Http, "/health/ready", HttpStatusCode.OK);
    }
}

public sealed class ReplicaAndConfigurationTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task the_api_hands_memory_back_once_after_the_quiet_that_follows_its_start()
    {
        await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        // nothing after the start counts as work here (the tests beside it allocate in this same process)
        await using var quick = App.WithSettings(("Ledger:Memory:TrimAfterIdleSeconds", "0.4"), ("Ledger:Memory:TrimAfterGrowthMegabytes", "0"),
            ("Ledger:Memory:BusyAboveMegabytesPerSecond", "1000000000"));
        using var client = quick.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/relations", Ct)).StatusCode);
        // a history only the summary projection used goes with the trim
        var histories = quick.Services.GetRequiredService<RelationsLedger.Relations.Replaying.HistoryCache>();
        await using (var session = quick.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession())
        {
            Assert.True(RelationsLedger.Relations.Pair.TryParse("BY-US", out var pair));
            await histories.LatestAsync(session, pair, await session.Events.FetchStreamStateAsync("BY-US", Ct), Ct, read: false);
        }
        Assert.True(histories.Holds("BY-US"));
        var trim = quick.Services.GetRequiredService<RelationsLedger.Platform.IdleTrim>();
        // 0.4 s of quiet is enough; a slow machine gets 15 s to see them
        for (var waited = 0; trim.Trims == 0 && waited < 15_000; waited += 100) await Task.Delay(100, Ct);
        Assert.Equal(1, trim.Trims);
        Assert.False(histories.Holds("BY-US"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/relations", Ct)).StatusCode);
        await Task.Delay(1_500, Ct);
        Assert.Equal(1, trim.Trims);
    }

    [Fact]
    public async Task the_summary_projection_counts_the_events_it_applies_as_background_work_for_the_trim()
    {
        var work = App.Services.GetRequiredService<RelationsLedger.Platform.BackgroundWork>();
        var before = work.Items;
        foreach (var day in new[] { "2022-02-28", "2022-03-01", "2022-03-02" }) await Record("US-BY", Samples.Event("LeadersSpoke", day));
        await App.WaitForProjectionsAsync();
        Assert.True(work.Items >= before + 3, $"{before} → {work.Items}");
        Assert.True(Environment.TickCount64 - work.LastTick < 30_000);
    }

    [Fact]
    public async Task with_a_replica_configured_pinned_reads_use_it_and_newest_reads_stay_on_the_primary()
    {
        var receipt = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        var primary = new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString);
        var replica = new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString)
        {
            Host = $"{primary.Host}:{primary.Port},{primary.Host}:{primary.Port}", ApplicationName = "replica", TargetSessionAttributes = "prefer-standby",
        };
        await using var withReplica = App.WithSettings(("ConnectionStrings:LedgerReplica", replica.ConnectionString));
        using var client = withReplica.CreateClient();
        var pinned = await client.GetAsync($"/api/relations/US-BY/state?asOf=2022-03-01&basis={receipt["sequence"]}", Ct);
        Assert.True(pinned.Headers.Contains("X-Read-Source"), $"{(int)pinned.StatusCode} {await pinned.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal("replica", pinned.Headers.GetValues("X-Read-Source").Single());
        var state = System.Text.Json.Nodes.JsonNode.Parse(await pinned.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("suspended", (string?)state["embassies"]![0]!["status"]);
        var newest = await client.GetAsync("/api/relations/US-BY/state?asOf=2022-03-01", Ct);
        Assert.False(newest.Headers.Contains("X-Read-Source"));
    }

    [Fact]
    public async Task a_configured_origin_gets_a_cors_grant_and_others_do_not()
    {
        await using var cors = App.WithSettings(("Ledger:Cors:Origins:0", "https://newsroom.example"));
        using var client = cors.CreateClient();
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/api/relations/US-BY/events");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            return await client.SendAsync(request, Ct);
        }
        Assert.Equal("https://newsroom.example", (await Preflight("https://newsroom.example")).Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False((await Preflight("https://elsewhere.example")).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void without_a_configured_key_one_is_generated_once_and_only_its_hash_is_stored()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"relationsledger-keys-{Guid.NewGuid():N}");
        try
        {
            var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Ledger:DataDirectory"] = folder }).Build();
            var log = new CapturingLogger();
            var keys = new RelationsLedger.Platform.ApiKeys(configuration, log);
            var printed = log.Messages.Single(m => m.Contains("X-Api-Key: ")).Split("X-Api-Key: ")[1].Trim();
            var stored = File.ReadAllText(Path.Combine(folder, "api-key.sha256")).Trim();
            Assert.DoesNotContain(printed, stored);
            Assert.Equal(Convert.ToHexString(RelationsLedger.Platform.ApiKeys.Hash(printed)), stored);
            Assert.Equal("generated", keys.NameOf(printed));
            var again = new CapturingLogger();
            Assert.Equal("generated", new RelationsLedger.Platform.ApiKeys(configuration, again).NameOf(printed));
            Assert.Empty(again.Messages);
            Assert.Null(keys.NameOf("guess"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task the_writer_leaves_out_the_streams_key_check_only_where_the_role_may_or_unless_told_and_every_event_keeps_its_stream()
    {
        const string orphans = "select count(*) from ledger.mt_events e where not exists (select 1 from ledger.mt_streams s where s.id = e.stream_id)";
        async Task Write(HttpClient client)
        {
            // one append (arrays, with the group's commit) and one bulk write (COPY): the writer's two ways in
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("EmbassyClosed", "2022-02-28"), Ct)).StatusCode);
            var batch = Enumerable.Range(0, 150).Select(i => Samples.Event("StatementMade", $"2023-01-{i % 28 + 1:00}")).ToArray();
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/relations/FR-BY/events/batch", batch, Ct)).StatusCode);
        }
        // what the writer's sessions are: their setting, and whether an event of no stream gets past the key (rolled back)
        async Task<(string Role, bool KeyChecked)> Sessions(IServiceProvider services)
        {
            await using var connection = await services.GetRequiredService<RelationsLedger.Relations.Recording.WriterConnections>().OpenAsync();
            var role = (string)(await new Npgsql.NpgsqlCommand("select current_setting('session_replication_role')", connection).ExecuteScalarAsync(Ct))!;
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            try
            {
                await new Npgsql.NpgsqlCommand("insert into ledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type) " +
                    "values (-1, gen_random_uuid(), 'no-such-stream', 1, '{}', 'tombstone', now(), 'none')", connection, transaction).ExecuteNonQueryAsync(Ct);
                return (role, false);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.ForeignKeyViolation) { return (role, true); }
            finally { await transaction.RollbackAsync(Ct); }
        }
        await using var admin = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await admin.OpenAsync(Ct);
        var may = (bool)(await new Npgsql.NpgsqlCommand("select has_parameter_privilege(current_user, 'session_replication_role', 'SET')", admin).ExecuteScalarAsync(Ct))!;

        await Write(Http);
        Assert.Equal(may, App.Services.GetRequiredService<RelationsLedger.Relations.Recording.WriterConnections>().SkipsKeyCheck);
        Assert.Equal(may ? ("replica", false) : ("origin", true), await Sessions(App.Services));
        Assert.Equal(0, await Sql.CountAsync(App.ConnectionString, orphans, Ct));

        // told not to, or given a connection string that sets the parameter itself, the writer checks the key on the same database
        var setsItself = new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString) { Options = "-c session_replication_role=origin" }.ConnectionString;
        foreach (var setting in new[] { ("Ledger:Writer:SkipStreamKeyCheck", "false"), ("ConnectionStrings:Ledger", setsItself) })
        {
            await using var told = App.WithSettings(setting);
            using var client = told.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
            await Write(client);
            Assert.False(told.Services.GetRequiredService<RelationsLedger.Relations.Recording.WriterConnections>().SkipsKeyCheck, setting.Item1);
            Assert.Equal(("origin", true), await Sessions(told.Services));
        }

        // a role that may not set session_replication_role (not a superuser, nor granted it) writes with the key's check
        if (!(bool)(await new Npgsql.NpgsqlCommand("select rolsuper from pg_roles where rolname = current_user", admin).ExecuteScalarAsync(Ct))!) return;
        var name = $"plain_{Guid.NewGuid():N}";
        await new Npgsql.NpgsqlCommand($"create role {name} login password 'plain'", admin).ExecuteNonQueryAsync(Ct);
        await new Npgsql.NpgsqlCommand($"create database {name} owner {name}", admin).ExecuteNonQueryAsync(Ct);
        try
        {
            var plain = new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString) { Database = name, Username = name, Password = "plain" }.ConnectionString;
            await using (var host = App.WithSettings(("ConnectionStrings:Ledger", plain)))
            {
                using var client = host.CreateClient();
                client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
                await Write(client);
                Assert.False(host.Services.GetRequiredService<RelationsLedger.Relations.Recording.WriterConnections>().SkipsKeyCheck);
                Assert.Equal(("origin", true), await Sessions(host.Services));
            }
            Assert.Equal((0, 151), (await Sql.CountAsync(plain, orphans, Ct), await Sql.CountAsync(plain, "select count(*) from ledger.mt_events where type <> 'tombstone'", Ct)));
        }
        finally
        {
            await new Npgsql.NpgsqlCommand($"drop database if exists {name} with (force)", admin).ExecuteNonQueryAsync(Ct);
            await new Npgsql.NpgsqlCommand($"drop role {name}", admin).ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task help_lists_every_verb_the_readme_documents()
    {
        var (_, output, _) = await AppProcess.RunAsync([AppProcess.AppDll, "help"],
            new Dictionary<string, string?> { ["ConnectionStrings__Ledger"] = App.ConnectionString, ["COLUMNS"] = "200" }, Ct);
        foreach (var verb in new[] { "replay", "sanctions", "import", "export", "seed", "healthcheck", "db-apply", "db-patch", "projections", "check-env", "codegen" })
            Assert.Matches($@"(?m)^\s+{verb}\s", output);
    }

    private sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger<RelationsLedger.Platform.ApiKeys>
    {
        public List<string> Messages { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
