using System.Net;
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
    }

    [Fact]
    public async Task ready_fails_when_projection_lag_is_over_its_bound_while_live_stays_up()
    {
        await using var strict = App.WithSettings(("Ledger:Health:MaxProjectionLag", "-1"));
        using var client = strict.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/ready", Ct)).StatusCode);
    }
}
