using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Relations.Replaying;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

public sealed class ConcurrencyTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task eight_writers_racing_with_expected_versions_win_each_version_exactly_once()
    {
        const int target = 40;
        var wins = new ConcurrentBag<long>();
        var conflicts = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            using var http = App.CreateClient();
            while (true)
            {
                var state = JsonNode.Parse(await http.GetStringAsync("/api/relations/US-BY/state", Ct))!;
                var version = (long)state["basis"]!["version"]!;
                if (version >= target) return;
                var body = Samples.Event("LeadersSpoke", "2025-08-15", summary: $"writer {w} at {version}");
                body["expectedVersion"] = version;
                var response = await http.PostAsync("/api/relations/US-BY/events", System.Net.Http.Json.JsonContent.Create(body), Ct);
                if (response.StatusCode == HttpStatusCode.Created)
                    wins.Add((long)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["version"]!);
                else
                {
                    Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                    Interlocked.Increment(ref conflicts);
                }
            }
        }, Ct)).ToList();
        await Task.WhenAll(writers);

        Assert.Equal(Enumerable.Range(1, target).Select(v => (long)v), wins.Order());
        await using var session = App.Store.QuerySession();
        var versions = (await session.Events.FetchStreamAsync("BY-US", token: Ct)).Select(e => e.Version).ToList();
        Assert.Equal(Enumerable.Range(1, target).Select(v => (long)v), versions);
        Assert.True(conflicts > 0, "the writers never raced");
        TestContext.Current.TestOutputHelper?.WriteLine($"concurrency: {target} versions won, {conflicts} conflicts answered 409");
    }
}
