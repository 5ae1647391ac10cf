using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using RelationsLedger.Platform;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

/// <summary>Two app processes on one PostgreSQL: Wolverine runs the async projection on exactly one of them, and
/// when that node is SIGKILLed the other takes it over, skipping and repeating nothing.</summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LocalPostgres _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await ScratchCluster.StartAsync("cluster");

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task the_other_node_takes_over_the_projections_within_30_seconds_of_a_kill()
    {
        await using var a = await AppProcess.StartAsync(_database.ConnectionString, AppProcess.FreePort(), Ct);
        await using var b = await AppProcess.StartAsync(_database.ConnectionString, AppProcess.FreePort(), Ct);
        var nodes = new Dictionary<Guid, AppProcess>
        {
            [await NodeOf(a)] = a,
            [await NodeOf(b)] = b,
        };
        var appended = 0;
        foreach (var (node, i) in new[] { (a, 0), (b, 1), (a, 2), (b, 3) })
        {
            using var http = node.Client();
            var response = await http.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("LeadersSpoke", $"2025-01-{10 + i}"), Ct);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
            appended++;
        }
        await WaitForSummary(b, appended, TimeSpan.FromSeconds(30));

        var runner = await ProjectionNode(TimeSpan.FromSeconds(30));
        var survivor = nodes.Single(n => n.Key != runner).Value;
        nodes[runner].Kill();
        var killed = Stopwatch.StartNew();

        using (var http = survivor.Client())
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(System.Net.HttpStatusCode.Created,
                    (await http.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("LeadersSpoke", $"2025-02-{10 + i}"), Ct)).StatusCode);
                appended++;
            }
        await WaitForSummary(survivor, appended, TimeSpan.FromSeconds(30) - killed.Elapsed);
        Assert.NotEqual(runner, await ProjectionNode(TimeSpan.FromSeconds(5)));
        TestContext.Current.TestOutputHelper?.WriteLine($"cluster: projections taken over and caught up {killed.Elapsed.TotalSeconds:F1} s after the kill");
    }

    private static async Task<Guid> NodeOf(AppProcess app)
    {
        using var http = app.Client();
        return Guid.Parse((string)JsonNode.Parse(await http.GetStringAsync("/api/status", Ct))!["node"]!);
    }

    /// <summary>The summary projection counts every event once: a skipped or repeated event shows in the count.</summary>
    private static async Task WaitForSummary(AppProcess app, int events, TimeSpan within)
    {
        using var http = app.Client();
        var deadline = DateTime.UtcNow + within;
        int? counted = null;
        while (DateTime.UtcNow < deadline)
        {
            var relations = JsonNode.Parse(await http.GetStringAsync("/api/relations", Ct))!["relations"]!.AsArray();
            counted = relations.Count == 0 ? null : (int)relations[0]!["eventCount"]!;
            if (counted == events) return;
            Assert.True(counted is null || counted < events, $"the summary counted {counted} of {events} events");
            await Task.Delay(250, Ct);
        }
        Assert.Fail($"the summary counted {counted} of {events} events within {within.TotalSeconds:F0} s");
    }

    private async Task<Guid> ProjectionNode(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            await using (var connection = new NpgsqlConnection(_database.ConnectionString))
            {
                await connection.OpenAsync(Ct);
                await using var command = new NpgsqlCommand(
                    "select node_id from ledger.wolverine_node_assignments where id like 'event-subscriptions://%relationshipsummaryprojection%'", connection);
                if (await command.ExecuteScalarAsync(Ct) is Guid node) return node;
            }
            Assert.True(DateTime.UtcNow < deadline, "no node runs the summary projection");
            await Task.Delay(250, Ct);
        }
    }
}
