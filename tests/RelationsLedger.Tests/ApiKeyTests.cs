using System.Net;
using System.Net.Http.Json;
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
}
