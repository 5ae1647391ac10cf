using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsCheck;
using RelationsLedger.Relations;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

/// <summary>Any valid fact, generated (<see cref="GeneratedEvents"/>), goes in through POST and comes back unchanged from GET /api/events/{id}.</summary>
public sealed class RoundTripTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task every_valid_generated_event_round_trips_unchanged()
    {
        await GeneratedEvents.AnyFact.SampleAsync(async submitted =>
        {
            var created = await Http.PostAsJsonAsync("/api/relations/US-BY/events", submitted, Ct);
            var receipt = await created.Content.ReadAsStringAsync(Ct);
            Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"{submitted.ToJsonString()} → {receipt}");
            var stored = await GetJson($"/api/events/{JsonNode.Parse(receipt)!["eventId"]}");
            // unchanged but for the spacing of one-line text
            submitted = GeneratedEvents.AsRecorded(submitted);
            foreach (var key in new[] { "type", "occurredOn", "summary", "data" })
                Assert.True(JsonNode.DeepEquals(submitted[key], stored[key]), $"{key}: {submitted[key]?.ToJsonString()} ≠ {stored[key]?.ToJsonString()}");
            var sources = new JsonArray(stored["sources"]!.AsArray().Select(s => s!["source"]!.DeepClone()).ToArray());
            Assert.True(JsonNode.DeepEquals(submitted["sources"], sources), $"{submitted["sources"]!.ToJsonString()} ≠ {sources.ToJsonString()}");
        }, iter: 150, threads: 1);
    }
}
