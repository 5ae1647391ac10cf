using System.Net;
using System.Text;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class PlatformTests(LedgerApp app) : ApiTest(app)
{
    private static readonly object EmbassyClosed = new
    {
        type = "EmbassyClosed", occurredOn = "2022-02-28", summary = "The US suspends operations of its embassy in Minsk.",
        data = new { embassyOf = "US", city = "Minsk", mode = "suspended" },
        sources = new[] { new { outlet = "U.S. Department of State", title = "Suspension of operations at Embassy Minsk", url = "https://www.state.gov/", publishedOn = "2022-02-28" } },
    };

    [Fact]
    public void the_store_connects_with_the_ledgers_connection_settings()
    {
        using var connection = App.Store.Storage.Database.CreateConnection();
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connection.ConnectionString);
        Assert.Equal((64, true), (settings.MaxAutoPrepare, settings.NoResetOnClose));
    }

    [Fact]
    public async Task an_appended_embassy_closure_shows_in_state_from_its_date_on()
    {
        var response = await PostEvent("US-BY", EmbassyClosed);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var receipt = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("BY-US", (string?)receipt["pair"]);
        Assert.Equal(1, (long)receipt["version"]!);
        Assert.True((long)receipt["sequence"]! > 0);
        Assert.Equal($"/api/events/{receipt["eventId"]}", response.Headers.Location?.OriginalString);
        Assert.True(DateTimeOffset.TryParse((string?)receipt["recordedAt"], out _));

        var after = await GetJson("/api/relations/US-BY/state?asOf=2022-03-01");
        var embassy = Assert.Single(after["embassies"]!.AsArray())!;
        Assert.Equal("US", (string?)embassy["embassyOf"]);
        Assert.Equal("Minsk", (string?)embassy["city"]);
        Assert.Equal("suspended", (string?)embassy["status"]);
        Assert.Equal("2022-02-28", (string?)embassy["since"]);
        Assert.Equal(1, (int)after["eventCount"]!);

        var before = await GetJson("/api/relations/by-us/state?asOf=2022-02-27");
        Assert.Empty(before["embassies"]!.AsArray());
        Assert.Equal(0, (int)before["eventCount"]!);
    }

    [Theory]
    [InlineData("{\"type\":\"EmbassyClosed\",", "malformed JSON")]
    [InlineData("{\"type\":\"EmbassyExploded\",\"occurredOn\":\"2022-02-28\",\"summary\":\"x\",\"data\":{},\"sources\":[{\"outlet\":\"x\"}]}", "unknown type")]
    [InlineData("{\"type\":\"EmbassyClosed\",\"occurredOn\":\"2022-02-28\",\"summary\":\"x\",\"data\":{\"embassyOf\":\"US\",\"city\":\"Minsk\",\"mode\":\"suspended\"},\"sources\":[]}", "missing sources")]
    public async Task bad_input_gets_a_400_problem_and_appends_nothing(string body, string why)
    {
        var response = await Http.PostAsync("/api/relations/US-BY/events", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        var problem = await ProblemOf(response);
        Assert.Equal(400, (int)problem["status"]!);
        Assert.NotNull(problem["traceId"]);
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Theory]
    [InlineData("USA-BY")]
    [InlineData("US-US")]
    [InlineData("XX-BY")]
    [InlineData("USBY")]
    public async Task a_pair_that_is_not_two_country_codes_is_a_400(string pair)
    {
        var response = await PostEvent(pair, EmbassyClosed);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync($"/api/relations/{pair}/state", Ct)).StatusCode);
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Fact]
    public async Task health_reports_live_and_ready_when_the_schema_is_applied()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/ready", Ct)).StatusCode);
    }
}
