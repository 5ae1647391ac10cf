using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Dashboards;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary>The live streams (<c>GET /api/relations/{pair}/live</c>): what they announce, one poll for all of them,
/// their caps and their heartbeat. That they end when the app stops is in <see cref="KestrelTests"/>.</summary>
public sealed class LiveUpdatesTests(LedgerApp app) : ApiTest(app)
{
    /// <summary>An open stream, read a line at a time.</summary>
    private sealed class Stream(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public HttpResponseMessage Response => response;

        public static async Task<Stream> OpenAsync(HttpClient client, string pair)
        {
            var response = await client.GetAsync($"/api/relations/{pair}/live", HttpCompletionOption.ResponseHeadersRead, Ct);
            return new Stream(response, response.IsSuccessStatusCode ? new StreamReader(await response.Content.ReadAsStreamAsync(Ct)) : StreamReader.Null);
        }

        /// <summary>The next line that starts with <paramref name="prefix"/> within <paramref name="within"/>, or null.</summary>
        public async Task<string?> NextAsync(string prefix, TimeSpan within)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(within);
            try
            {
                while (await reader.ReadLineAsync(timeout.Token) is { } line)
                    if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested) { }
            return null;
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private LiveFeed Feed => App.Services.GetRequiredService<LiveFeed>();

    /// <summary>Until the feed has read the open streams' pairs (the stream begins at that reading).</summary>
    private async Task ReadOnceAsync(LiveFeed feed)
    {
        var polls = feed.Polls;
        while (feed.Polls < polls + 2) await Task.Delay(50, Ct);
    }

    [Fact]
    public async Task an_open_live_stream_hears_of_an_append_within_two_seconds()
    {
        using var stream = await Stream.OpenAsync(Http, "US-BY");
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(": live", await stream.NextAsync(":", TimeSpan.FromSeconds(2)));
        Assert.Equal($"retry: {LiveUpdates.RetryMilliseconds}", await stream.NextAsync("retry:", TimeSpan.FromSeconds(2)));
        await ReadOnceAsync(Feed);
        var appended = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));

        var data = JsonNode.Parse((await stream.NextAsync("data:", TimeSpan.FromSeconds(2)))!["data:".Length..])!;
        Assert.Equal(((string?)appended["eventId"], "BY-US", (long)appended["sequence"]!), ((string?)data["eventId"], (string?)data["pair"], (long)data["sequence"]!));
    }

    [Fact]
    public async Task every_open_stream_hears_its_own_pair_from_one_poll_for_them_all()
    {
        var streams = new List<Stream>();
        try
        {
            foreach (var pair in new[] { "US-BY", "BY-US", "us-by", "DE-US", "FR-US", "GB-US" }) streams.Add(await Stream.OpenAsync(Http, pair));
            await ReadOnceAsync(Feed);
            var (polls, started) = (Feed.Polls, DateTime.UtcNow);
            var appended = (string?)(await Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15")))["eventId"];

            foreach (var stream in streams[..3])
                Assert.Equal(appended, (string?)JsonNode.Parse((await stream.NextAsync("data:", TimeSpan.FromSeconds(2)))!["data:".Length..])!["eventId"]);
            foreach (var stream in streams[3..]) Assert.Null(await stream.NextAsync("data:", TimeSpan.FromSeconds(0.6)));
            // a query every tick for the six streams of four pairs, not one for each stream (which made about six times as many)
            var ticks = (DateTime.UtcNow - started) / LiveFeed.Poll;
            Assert.InRange(Feed.Polls - polls, 1, ticks + 2);
        }
        finally
        {
            foreach (var stream in streams) stream.Dispose();
        }
    }

    [Fact]
    public async Task the_streams_open_at_once_are_capped_per_client_and_in_all_with_a_problem_and_retry_after()
    {
        await using var capped = App.WithSettings(("Ledger:Live:MaxStreamsPerClient", "2"), ("Ledger:Live:MaxStreams", "3"));
        using var keyed = capped.CreateClient();
        keyed.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
        using var newsroom = capped.CreateClient();
        newsroom.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.NewsroomKey);

        using var first = await Stream.OpenAsync(keyed, "US-BY");
        using var second = await Stream.OpenAsync(keyed, "DE-US");
        using var third = await Stream.OpenAsync(keyed, "US-BY");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.Response.StatusCode, second.Response.StatusCode, third.Response.StatusCode));
        Assert.Contains("At most 2 at once per key", (string?)(await ProblemOf(third.Response))["detail"]);
        Assert.Equal("30", third.Response.Headers.GetValues("Retry-After").Single());

        // another key has streams of its own, up to the app's cap
        using var another = await Stream.OpenAsync(newsroom, "US-BY");
        using var full = await Stream.OpenAsync(newsroom, "US-BY");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable), (another.Response.StatusCode, full.Response.StatusCode));
        Assert.Contains("at most 3 at once", (string?)(await ProblemOf(full.Response))["detail"]);

        // a stream closed by its client makes room
        first.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        Stream again;
        while ((again = await Stream.OpenAsync(newsroom, "US-BY")).Response.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            again.Dispose();
            await Task.Delay(50, Ct);
        }
        using (again) Assert.Equal(HttpStatusCode.OK, again.Response.StatusCode);
    }

    [Fact]
    public async Task a_quiet_stream_sends_a_comment_line_so_that_proxies_keep_it_open()
    {
        await using var host = App.WithSettings(("Ledger:Live:HeartbeatSeconds", "0.3"));
        using var stream = await Stream.OpenAsync(host.CreateClient(), "US-BY");
        Assert.Equal(": live", await stream.NextAsync(":", TimeSpan.FromSeconds(2)));
        Assert.Equal(": quiet", await stream.NextAsync(":", TimeSpan.FromSeconds(2)));
        Assert.Equal(": quiet", await stream.NextAsync(":", TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task a_bad_pair_is_a_problem_not_a_stream()
    {
        using var stream = await Stream.OpenAsync(Http, "US-XYZ");
        Assert.Equal(HttpStatusCode.BadRequest, stream.Response.StatusCode);
        Assert.NotNull((await ProblemOf(stream.Response))["errors"]!["pair"]);
    }
}
