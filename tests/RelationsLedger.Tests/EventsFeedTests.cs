using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Replaying;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary><c>GET /api/events</c>: the ledger's log across pairs, in recorded order, in the export's shape.</summary>
public sealed class EventsFeedTests(LedgerApp app) : ApiTest(app)
{
    /// <summary>Facts, provenance and writers across three pairs; returns the receipts in recorded order.</summary>
    private async Task<List<JsonObject>> RecordSome()
    {
        using var newsroom = App.CreateClient(LedgerApp.NewsroomKey);
        var receipts = new List<JsonObject>();
        async Task<JsonObject> As(HttpClient client, string pair, JsonObject body)
        {
            var receipt = await Record(pair, body, client);
            receipts.Add(receipt);
            return receipt;
        }
        var release = await As(Http, "US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await As(newsroom, "LT-BY", Samples.Event("EmbassyClosed", "2021-08-01", new JsonObject { ["embassyOf"] = "LT", ["city"] = "Minsk", ["mode"] = "closed" }));
        await As(Http, "US-BY", Samples.Event("EnvoyVisited", "2025-09-11"));
        await As(newsroom, "US-BY", Samples.Correction(Guid.Parse((string)release["eventId"]!), new JsonObject { ["summary"] = "52 freed" }));
        await As(Http, "US-RU", Samples.Event("LeadersSpoke", "2025-08-15"));
        await As(Http, "US-BY", Samples.Citation(Guid.Parse((string)release["eventId"]!)));
        await As(newsroom, "LT-BY", Samples.Event("StatementMade", "2021-08-02"));
        return receipts;
    }

    /// <summary>Every page from <paramref name="url"/> on, following next while a page is full.</summary>
    private async Task<(List<JsonNode> Events, List<JsonObject> Pages)> Follow(string url)
    {
        var (events, pages) = (new List<JsonNode>(), new List<JsonObject>());
        for (string? next = url; next is not null;)
        {
            var page = await GetJson(next);
            pages.Add(page);
            events.AddRange(page["events"]!.AsArray().Select(e => e!.DeepClone()));
            var descending = (string?)page["order"] == "desc";
            // oldest first, next is always there (where to ask again): follow it while it moves
            next = (string?)page["next"] is { } link && (descending || page["events"]!.AsArray().Count > 0) ? link : null;
            Assert.True(pages.Count < 100, "the next links never end");
        }
        return (events, pages);
    }

    private static long Sequence(JsonNode e) => (long)e["recorded"]!["sequence"]!;

    [Fact]
    public async Task the_log_lists_every_event_as_the_export_writes_it_in_recorded_order_page_by_page_and_a_poll_finds_what_came_after()
    {
        var receipts = await RecordSome();
        var export = new StringWriter();
        await using (var session = App.Store.QuerySession()) await ExportCommand.ExportAsync(session, null, export, Ct);
        var lines = export.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(receipts.Count, lines.Count);

        var (events, pages) = await Follow("/api/events?limit=3");
        // the export's lines, every one, in the same order: facts, corrections and citations each an item of its own
        Assert.Equal(lines.Count, events.Count);
        foreach (var (line, item) in lines.Zip(events)) Assert.True(JsonNode.DeepEquals(line, item), $"{line.ToJsonString()} != {item.ToJsonString()}");
        Assert.Equal(receipts.Select(r => (long)r["sequence"]!), events.Select(Sequence));
        Assert.Equal(receipts.Select(r => (string)r["recordedAt"]!), events.Select(e => (string)e["recorded"]!["at"]!));
        Assert.Equal(["default", "newsroom", "default", "newsroom", "default", "default", "newsroom"], events.Select(e => (string)e["recorded"]!["by"]!));
        Assert.Equal(["PrisonersReleased", "EmbassyClosed", "EnvoyVisited", "EventCorrected", "LeadersSpoke", "SourceCited", "StatementMade"], events.Select(e => (string)e["type"]!));
        Assert.Equal([3, 3, 1, 0], pages.Select(p => p["events"]!.AsArray().Count));
        var last = pages[^1];
        Assert.Equal((long)receipts[^1]["sequence"]!, (long)last["settled"]!);
        // the end of the log: where to ask again is past everything listed
        Assert.Equal($"/api/events?after={receipts[^1]["sequence"]}&limit=3", (string?)last["next"]);

        var newer = await Record("US-BY", Samples.Event("StatementMade", "2025-10-01"));
        var polled = await GetJson((string)last["next"]!);
        Assert.Equal([(long)newer["sequence"]!], polled["events"]!.AsArray().Select(e => Sequence(e!)));
        Assert.Equal($"/api/events?after={newer["sequence"]}&limit=3", (string?)polled["next"]);
    }

    [Fact]
    public async Task a_poll_with_nothing_new_recorded_is_a_304_and_any_record_anywhere_ends_it()
    {
        var receipts = await RecordSome();
        var url = $"/api/events?after={receipts[^1]["sequence"]}&pair=US-BY";
        var first = await Get(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var tag = first.Headers.ETag!;
        Assert.True(tag.IsWeak);
        Assert.True(first.Headers.CacheControl!.NoCache);
        var again = await Get(url, tag.ToString());
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal("", await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal(tag, again.Headers.ETag);
        // another pair's record moves the settled sequence the page answers with: a new answer, though not a new event
        var elsewhere = await Record("LT-BY", Samples.Event("StatementMade", "2025-10-01"));
        var moved = await Get(url, tag.ToString());
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.NotEqual(tag, moved.Headers.ETag);
        var page = JsonNode.Parse(await moved.Content.ReadAsStringAsync(Ct))!;
        Assert.Empty(page["events"]!.AsArray());
        Assert.Equal((long)elsewhere["sequence"]!, (long)page["settled"]!);
        var here = await Record("US-BY", Samples.Event("StatementMade", "2025-10-02"));
        var polled = await Get(url, moved.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
        Assert.Equal([(long)here["sequence"]!], JsonNode.Parse(await polled.Content.ReadAsStringAsync(Ct))!["events"]!.AsArray().Select(e => Sequence(e!)));
        // each format is its own answer
        var lines = await Get(url + "&format=ndjson", polled.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, lines.StatusCode);
        Assert.NotEqual(polled.Headers.ETag, lines.Headers.ETag);
    }

    [Fact]
    public async Task newest_first_lists_the_same_log_backwards_and_ends_at_the_first_event()
    {
        var receipts = await RecordSome();
        var (events, pages) = await Follow("/api/events?order=desc&limit=2");
        Assert.Equal(receipts.Select(r => (long)r["sequence"]!).Reverse(), events.Select(Sequence));
        Assert.Equal([2, 2, 2, 1], pages.Select(p => p["events"]!.AsArray().Count));
        Assert.Equal($"/api/events?before={receipts[^2]["sequence"]}&order=desc&limit=2", (string?)pages[0]["next"]);
        Assert.Null((string?)pages[^1]["next"]);
        // the newest first page, in the order a reviewer reads it; a page below a sequence
        Assert.Equal(receipts[^1]["eventId"]!.ToString(), (string?)pages[0]["events"]![0]!["eventId"]);
        var below = await GetJson($"/api/events?order=desc&before={receipts[2]["sequence"]}");
        Assert.Equal(receipts.Take(2).Select(r => (long)r["sequence"]!).Reverse(), below["events"]!.AsArray().Select(e => Sequence(e!)));
        Assert.Null((string?)below["next"]);
    }

    [Fact]
    public async Task a_pair_types_and_a_writer_each_narrow_the_log_page_by_page_either_way()
    {
        var receipts = await RecordSome();
        var (all, _) = await Follow("/api/events");
        async Task Narrowed(string filter, Func<JsonNode, bool> keep)
        {
            var expected = all.Where(keep).Select(Sequence).ToList();
            Assert.NotEmpty(expected);
            Assert.True(expected.Count < all.Count, filter);
            // a page of one at a time: each next link carries the filter on
            Assert.Equal(expected, (await Follow($"/api/events?{filter}&limit=1")).Events.Select(Sequence));
            Assert.Equal(expected.AsEnumerable().Reverse(), (await Follow($"/api/events?{filter}&order=desc&limit=1")).Events.Select(Sequence));
        }
        await Narrowed("pair=by-us", e => (string)e["pair"]! == "BY-US");
        await Narrowed("pair=BY-LT", e => (string)e["pair"]! == "BY-LT");
        await Narrowed("types=eventcorrected,SourceCited", e => (string)e["type"]! is "EventCorrected" or "SourceCited");
        await Narrowed("recordedBy=newsroom", e => (string)e["recorded"]!["by"]! == "newsroom");
        await Narrowed("pair=US-BY&types=PrisonersReleased,EnvoyVisited&recordedBy=default", e =>
            (string)e["pair"]! == "BY-US" && (string)e["type"]! is "PrisonersReleased" or "EnvoyVisited");
        // a pair with nothing recorded: an empty page, and where to ask again
        var none = await GetJson("/api/events?pair=US-PL");
        Assert.Empty(none["events"]!.AsArray());
        Assert.Equal($"/api/events?after={receipts[^1]["sequence"]}&pair=US-PL", (string?)none["next"]);
        // the filter as sent, even a %-sequence that is not UTF-8 (read as the text typed): decoded and encoded again it
        // would name another writer
        var odd = await GetJson("/api/events?recordedBy=%FF&Pair=US-PL&after=1");
        Assert.Equal($"/api/events?after={receipts[^1]["sequence"]}&recordedBy=%FF&Pair=US-PL", (string?)odd["next"]);
        // the writer is written into the statement (ListRecorded.Command): quotes and backslashes in it are only a name
        foreach (var name in new[] { "x' or ''='", @"x\' or true --", "newsroom'" })
            Assert.Empty((await GetJson($"/api/events?recordedBy={Uri.EscapeDataString(name)}"))["events"]!.AsArray());
    }

    [Fact]
    public async Task a_writer_written_into_a_statement_reads_back_as_itself_whatever_the_servers_string_rules()
    {
        await using var connection = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        string[] names = ["plain", "o'brien", "back\\slash", "\\'; select 1; --", "''", "\\", "ünïcode ✓", "tab\\t"];
        foreach (var conforming in new[] { "on", "off" })
        {
            await new Npgsql.NpgsqlCommand($"set standard_conforming_strings = {conforming}", connection).ExecuteNonQueryAsync(Ct);
            foreach (var name in names)
                Assert.Equal(name, (string?)await new Npgsql.NpgsqlCommand($"select {ListRecorded.Literal(name)}", connection).ExecuteScalarAsync(Ct));
        }
    }

    [Fact]
    public async Task as_ndjson_the_pages_are_lines_that_import_as_recorded_restores_into_an_empty_ledger()
    {
        await RecordSome();
        var json = await GetJson("/api/events?limit=4");
        var ndjson = new System.Text.StringBuilder();
        var pages = 0;
        for (string? next = "/api/events?limit=4&format=NDJSON"; next is not null; pages++)
        {
            var response = await Http.GetAsync(next, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (pages == 0)
            {
                // a line per event, each the JSON page's item
                Assert.EndsWith("\n", text);
                var first = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(4, first.Length);
                Assert.All(json["events"]!.AsArray().Zip(first), p => Assert.True(JsonNode.DeepEquals(p.First, JsonNode.Parse(p.Second)), p.Second));
                Assert.Equal($"</api/events?after={Sequence(json["events"]![3]!)}&limit=4&format=NDJSON>; rel=\"next\"", response.Headers.GetValues("Link").Single());
            }
            ndjson.Append(text);
            next = text.Length == 0 ? null : response.Headers.GetValues("Link").Single() is var link ? link[1..link.IndexOf('>')] : null;
        }
        Assert.Equal(3, pages);
        var (before, _) = await Follow("/api/events");

        // the log saved page by page is a backup: restored as recorded, the ledger lists the same log
        await App.ResetAsync();
        var lines = Importer.ReadLines(new StringReader(ndjson.ToString())).ToList();
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Relations.Recording.Appending>(), lines, new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
        Assert.Empty(result.Problems);
        Assert.Equal(before.Count, result.Appended);
        var (after, _) = await Follow("/api/events");
        Assert.Equal(before.Select(e => e.ToJsonString()), after.Select(e => e.ToJsonString()));
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=x", "after")]
    [InlineData("before=5", "before")]
    [InlineData("order=desc&after=5", "after")]
    [InlineData("order=sideways", "order")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("pair=USA-BY", "pair")]
    [InlineData("types=EmbassyClosed,Nope", "types")]
    [InlineData("recordedBy=", "recordedBy")]
    [InlineData("recordedBy=%20", "recordedBy")]
    [InlineData("format=csv", "format")]
    public async Task a_bad_query_is_a_problem_naming_the_field(string query, string field)
    {
        var response = await Http.GetAsync($"/api/events?{query}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemOf(response);
        Assert.Equal([field], problem["errors"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task a_writer_name_longer_than_any_key_is_a_problem_too()
    {
        var response = await Http.GetAsync($"/api/events?recordedBy={new string('k', 301)}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("recordedBy", (await ProblemOf(response))["errors"]!.AsObject().Select(p => p.Key));
    }
}
