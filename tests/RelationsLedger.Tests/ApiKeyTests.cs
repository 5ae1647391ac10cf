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
        async Task<Guid> As(HttpClient client, JsonObject body)
        {
            var response = await client.PostAsJsonAsync("/api/relations/US-BY/events", body, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return Guid.Parse((string)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["eventId"]!);
        }
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
}
