using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class ApiKeyTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task a_write_without_a_key_is_401_and_with_a_wrong_key_403_and_nothing_is_appended()
    {
        using var anonymous = App.CreateClient(apiKey: null);
        var missing = await anonymous.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("EmbassyClosed", "2022-02-28"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        await ProblemOf(missing);

        using var wrong = App.CreateClient(apiKey: "not-the-key");
        var forbidden = await wrong.PostAsJsonAsync("/api/relations/US-BY/events/batch", new[] { Samples.Event("EmbassyClosed", "2022-02-28") }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        await ProblemOf(forbidden);
        Assert.Equal(0, await App.EventCountAsync());

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/relations/US-BY/state", Ct)).StatusCode);
    }

    [Fact]
    public async Task each_appended_event_records_who_wrote_it_the_request_id_and_the_client_address()
    {
        var id = Guid.Parse((string)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["eventId"]!);
        await using var session = App.Store.QuerySession();
        var stored = (await session.Events.QueryAllRawEvents().Where(e => e.Id == id).ToListAsync(Ct)).Single();
        Assert.Equal("default", stored.Headers!["writer"]?.ToString());
        Assert.False(string.IsNullOrEmpty(stored.Headers["requestId"]?.ToString()));
        Assert.NotNull(stored.Headers["clientAddress"]);
    }

    [Fact]
    public async Task an_event_says_who_recorded_it_and_each_of_its_corrections_citations_and_retraction()
    {
        using var newsroom = App.CreateClient(LedgerApp.NewsroomKey);
        async Task<Guid> As(HttpClient client, JsonObject body) => Guid.Parse((string)(await Record("US-BY", body, client))["eventId"]!);
        var release = await As(Http, Samples.Event("PrisonersReleased", "2025-09-11"));
        var correction = await As(newsroom, Samples.Correction(release, new JsonObject { ["summary"] = "52 freed" }));
        var citation = await As(Http, Samples.Citation(release));
        await As(newsroom, Samples.Retraction(release));

        var view = await GetJson($"/api/events/{release}");
        Assert.Equal("default", (string?)view["recordedBy"]);
        Assert.Equal((correction, "newsroom"), (Guid.Parse((string)view["corrections"]![0]!["correctionId"]!), (string?)view["corrections"]![0]!["recordedBy"]));
        var cited = view["sources"]!.AsArray().Single(s => s!["citationId"] is not null)!;
        Assert.Equal((citation, "default"), (Guid.Parse((string)cited["citationId"]!), (string?)cited["recordedBy"]));
        Assert.All(view["sources"]!.AsArray().Where(s => s!["citationId"] is null), s => Assert.Null((string?)s!["recordedBy"]));
        Assert.Equal("newsroom", (string?)view["retractedBy"]);
        // a provenance event answers as recorded, with its own writer
        Assert.Equal("newsroom", (string?)(await GetJson($"/api/events/{correction}"))["recordedBy"]);
    }

    [Fact]
    public async Task a_timeline_item_says_when_and_by_whom_its_fact_was_recorded_on_every_way_of_reading_it()
    {
        using var newsroom = App.CreateClient(LedgerApp.NewsroomKey);
        Task<JsonObject> As(HttpClient client, JsonObject body) => Record("US-BY", body, client);
        var visit = await As(Http, Samples.Event("EnvoyVisited", "2025-09-11", summary: "Envoy in Minsk"));
        var release = await As(newsroom, Samples.Event("PrisonersReleased", "2025-09-11", summary: "Prisoners freed in Minsk"));
        // corrected later by another key: the row keeps the corrected body, the item keeps the fact's own record
        var correction = await As(newsroom, Samples.Correction(Guid.Parse((string)visit["eventId"]!), new JsonObject { ["summary"] = "Envoy visits Minsk" }));
        Assert.NotEqual((string?)visit["recordedAt"], (string?)correction["recordedAt"]);

        var expected = new[] { (visit, "default"), (release, "newsroom") }
            .Select(x => ((string)x.Item1["eventId"]!, (string)x.Item1["recordedAt"]!, x.Item2)).ToList();
        (string, string, string)[] Recorded(JsonNode page) => [.. page["events"]!.AsArray()
            .Select(e => ((string)e!["eventId"]!, (string)e["recordedAt"]!, (string)e["recordedBy"]!))];
        var rows = await GetJson("/api/relations/US-BY/timeline");
        Assert.Equal(expected, Recorded(rows));
        Assert.True((bool)rows["events"]![0]!["corrected"]!);
        // as known now, from the stream, and through a search: the same items
        var knownNow = await GetJson($"/api/relations/US-BY/timeline?knownAt={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("O"))}");
        Assert.True(JsonNode.DeepEquals(rows["events"], knownNow["events"]), $"{rows["events"]} != {knownNow["events"]}");
        Assert.Equal(expected, Recorded(await GetJson("/api/relations/US-BY/timeline?q=minsk")));
        Assert.Equal(expected[1..], Recorded(await GetJson("/api/relations/US-BY/timeline?q=freed&match=similar")));
        // as known before the correction: the fact as first recorded, by its own writer at its own time
        var before = await GetJson($"/api/relations/US-BY/timeline?knownAt={Uri.EscapeDataString((string)release["recordedAt"]!)}");
        Assert.Equal(expected, Recorded(before));
        Assert.Equal("Envoy in Minsk", (string?)before["events"]![0]!["summary"]);

        // the CSV's last two columns, as the JSON writes them (a recorded time can be pasted as a knownAt)
        var csv = CsvText.Records(await Http.GetStringAsync("/api/relations/US-BY/timeline?format=csv", Ct));
        Assert.Equal(["recordedAt", "recordedBy"], csv[0][^2..]);
        Assert.Equal(expected, csv.Skip(1).Select(r => (r[6], r[^2], r[^1])));
    }
}
