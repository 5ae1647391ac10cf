using System.Net;
using System.Text.Json.Nodes;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class DashboardApiTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task the_catalog_lists_every_type_with_its_fields()
    {
        var catalog = await GetJson("/api/catalog");
        var closed = catalog["types"]!.AsArray().Single(t => (string?)t!["name"] == "EmbassyClosed")!;
        Assert.Equal(["embassyOf Country true", "city Text true", "mode Choice true", "reason Text false"],
            closed["fields"]!.AsArray().Select(f => $"{f!["name"]} {f["kind"]} {f["required"]}"));
        Assert.Equal(["suspended", "closed"], closed["fields"]![2]!["choices"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public async Task the_series_follow_the_fold_date_by_date()
    {
        await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09"));
        await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await Record("US-BY", Samples.Event("SanctionsEased", "2025-09-11"));
        await Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15"));
        await Record("US-BY", Samples.Event("EnvoyVisited", "2025-09-11"));
        var series = await GetJson("/api/relations/US-BY/series");
        Assert.Equal(["2023-08-09 1/0 0", "2025-08-15 1/0 0", "2025-09-11 0/1 52"],
            series["points"]!.AsArray().Select(p => $"{p!["date"]} {p["sanctions"]!["active"]}/{p["sanctions"]!["eased"]} {p["prisonersReleased"]}"));
        Assert.Equal(["2025 2"], series["contactsPerYear"]!.AsArray().Select(c => $"{c!["year"]} {c["count"]}"));
    }

    [Fact]
    public async Task the_register_downloads_as_csv_that_a_spreadsheet_will_not_execute()
    {
        var formula = Samples.Data["SanctionsImposed"].DeepClone().AsObject();
        formula["target"] = "=HYPERLINK(\"http://evil\")";
        await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09", formula));
        var response = await Http.GetAsync("/api/sanctions?asOf=2025-01-01&format=csv", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        // saved under a name that says what it is, not "sanctions" with no extension
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("sanctions-as-of-2025-01-01.csv", response.Content.Headers.ContentDisposition?.FileName);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("pair,imposedBy,target", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", lines[1]);
    }

    [Fact]
    public async Task the_timeline_downloads_as_csv_page_by_page_with_its_sources_and_flags()
    {
        var visit = Samples.Event("EnvoyVisited", "2025-09-11", summary: "=Envoy in Minsk, \"letter\"");
        visit["sources"]!.AsArray().Add(new JsonObject { ["outlet"] = "BelTA" });
        var id = (string)(await Record("US-BY", visit))["eventId"]!;
        await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        var json = (await GetJson("/api/relations/US-BY/timeline"))["events"]!.AsArray();
        var response = await Http.GetAsync("/api/relations/US-BY/timeline?format=csv", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("timeline-BY-US.csv", response.Content.Headers.ContentDisposition?.FileName);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("occurredOn,type,summary,data,sources,relatedEventIds,eventId,sequence,corrected,disputed,retracted,recordedAt,recordedBy\r\n", text);
        var records = CsvText.Records(text);
        // a record per event, in the JSON's order, each with every column
        Assert.Equal(json.Select(e => (string)e!["eventId"]!), records.Skip(1).Select(r => r[6]));
        Assert.All(records, r => Assert.Equal(13, r.Length));
        // a formula is text; the data is the event's JSON; each source's parts, sources apart by "; "
        var row = records.Single(r => r[6] == id);
        var item = json.Single(e => (string)e!["eventId"]! == id)!;
        Assert.Equal(["2025-09-11", "EnvoyVisited", "'=Envoy in Minsk, \"letter\"", "Reuters, Report, 2025-09-11, https://www.reuters.com/world/; BelTA", "", $"{item["sequence"]}", "false", "false", "false",
            $"{item["recordedAt"]}", "default"],
            [.. row[..3], .. row[4..6], .. row[7..]]);
        Assert.True(JsonNode.DeepEquals(item["data"], JsonNode.Parse(row[3])));

        // the next page in a Link header, itself CSV
        var first = await Http.GetAsync("/api/relations/US-BY/timeline?format=csv&limit=1", Ct);
        var next = first.Headers.GetValues("Link").Single();
        Assert.Matches(@"^</api/relations/US-BY/timeline\?.*after=.*>; rel=""next""$", next);
        Assert.Equal(2, CsvText.Records(await first.Content.ReadAsStringAsync(Ct)).Count);
        var second = await Http.GetAsync(next[1..next.IndexOf('>')], Ct);
        Assert.Equal("text/csv", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(records[2], CsvText.Records(await second.Content.ReadAsStringAsync(Ct))[1]);

        var bad = await Http.GetAsync("/api/relations/US-BY/timeline?format=xlsx", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("format", await bad.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task the_timeline_screens_events_by_the_words_of_their_summary_data_and_sources_as_known_at_a_moment()
    {
        var letter = Samples.Event("LetterDelivered", "2025-09-11", summary: "The envoy hands Łukašenka a letter");
        letter["sources"]!.AsArray().Add(new JsonObject { ["outlet"] = "Nasha Niva", ["title"] = "Cufflinks and a letter" });
        var letterId = (string)(await Record("US-BY", letter))["eventId"]!;
        var releaseId = (string)(await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11")))["eventId"]!;
        var imposedId = (string)(await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09")))["eventId"]!;
        async Task<string[]> Ids(string query) =>
            [.. (await GetJson($"/api/relations/US-BY/timeline?{query}"))["events"]!.AsArray().Select(e => (string)e!["eventId"]!)];
        string Q(string words) => $"q={Uri.EscapeDataString(words)}";
        Assert.Equal([letterId], await Ids(Q("LUKASENKA letter")));       // the summary, accents and case aside
        Assert.Equal([letterId], await Ids(Q("nasha niva cufflinks")));   // a source's outlet and title
        Assert.Equal([letterId], await Ids(Q("john coale")));             // the data's values
        Assert.Equal([releaseId], await Ids(Q("statkevich 52")));         // a list in the data, a number
        Assert.Empty(await Ids(Q("lukasenka statkevich")));               // every word, in one event
        Assert.Empty(await Ids(Q("lukashenka")));                         // as typed: not the -o nor the -a without h
        Assert.Equal([letterId], await Ids($"{Q("lukashenka")}&match=similar"));   // in similar spellings
        Assert.Equal(3, (await Ids(Q("reuters"))).Length);
        Assert.Equal([imposedId, letterId], await Ids($"{Q("reuters")}&types=SanctionsImposed,LetterDelivered"));
        Assert.Equal([letterId, releaseId], await Ids($"{Q("reuters")}&from=2025-01-01"));

        // paging through what matches: the next link keeps the words and the point it read, so an event recorded
        // between two pages joins a new search and not the pages begun before it (the matches are kept for them)
        var first = await GetJson($"/api/relations/US-BY/timeline?{Q("reuters")}&limit=2");
        Assert.Equal([imposedId, letterId], first["events"]!.AsArray().Select(e => (string)e!["eventId"]!));
        var laterId = (string)(await Record("US-BY", Samples.Event("EnvoyVisited", "2025-12-01")))["eventId"]!;
        var next = await GetJson((string)first["next"]!);
        Assert.Equal([releaseId], next["events"]!.AsArray().Select(e => (string)e!["eventId"]!));
        Assert.Null(next["next"]);
        Assert.Equal([imposedId, letterId, releaseId, laterId], await Ids(Q("REUTERS")));
        // the next link keeps the request's other parameters as sent, a %-sequence that is not UTF-8 too (NextLinkTests)

        // the words of the text as corrected, or as known at a moment before the correction
        Assert.Equal([letterId], await Ids(Q("lukasenka")));
        var correction = await Record("US-BY", Samples.Correction(Guid.Parse(letterId), new JsonObject { ["summary"] = "The envoy hands over a letter" }));
        var known = Uri.EscapeDataString(DateTimeOffset.Parse((string)correction["recordedAt"]!).AddTicks(-10).ToString("O"));
        Assert.Empty(await Ids(Q("lukasenka")));
        Assert.Equal([letterId], await Ids($"{Q("lukasenka")}&knownAt={known}"));
        Assert.Equal([letterId], await Ids(Q("hands over")));
        var csv = CsvText.Records(await Http.GetStringAsync($"/api/relations/US-BY/timeline?{Q("hands over")}&format=csv", Ct));
        Assert.Equal(letterId, csv.Single(r => r[0] != "occurredOn")[6]);

        await WordsRefused("/api/relations/US-BY/timeline", "q");
        var fuzzy = await Http.GetAsync("/api/relations/US-BY/timeline?q=letter&match=fuzzy", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, fuzzy.StatusCode);
        Assert.Contains("\"match\":[\"Must be one of: words, similar.\"]", await fuzzy.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Words to screen by that are too long, hold a control character or no letter or digit: a 400 naming them.</summary>
    private async Task WordsRefused(string path, string field)
    {
        foreach (var bad in new[] { new string('x', 201), "a%00b", "--%2C" })
        {
            var response = await Http.GetAsync($"{path}?{field}={bad}", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task the_register_screens_a_name_against_targets_and_their_ids_word_by_word_in_any_case_and_accent()
    {
        await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09"));
        var azot = Samples.Data["SanctionsImposed"].DeepClone().AsObject();
        (azot["target"], azot["targetId"], azot["imposedBy"]) = ("Hrodna Azot (Grodno Azot)", "eu-2021-1234", "LT");
        await Record("LT-BY", Samples.Event("SanctionsImposed", "2022-03-01", azot));
        async Task<IEnumerable<string>> Targets(string filters) =>
            (await GetJson($"/api/sanctions?asOf=2025-01-01&{filters}"))["sanctions"]!.AsArray().Select(s => $"{s!["pair"]} {s["target"]}");
        Assert.Equal(["BY-US Belavia"], await Targets("target=BELAV"));
        Assert.Equal(["BY-LT Hrodna Azot (Grodno Azot)"], await Targets("target=%20azot%20"));
        // words in any order, accents and punctuation ignored
        Assert.Equal(["BY-LT Hrodna Azot (Grodno Azot)"], await Targets($"target={Uri.EscapeDataString("AZOT, Hródna")}"));
        Assert.Equal(["BY-LT Hrodna Azot (Grodno Azot)"], await Targets("target=eu%202021"));
        Assert.Empty(await Targets("target=azot%20belavia"));
        Assert.Equal(["BY-US Belavia"], await Targets("target=ofac-123"));
        Assert.Equal(2, (await Targets("target=%20")).Count());
        Assert.Empty(await Targets("target=azot&imposedBy=US"));
        Assert.Empty(await Targets("target=Belneftekhim"));
        // other spellings when asked: a transliteration, a letter apart; an id's number still as typed
        Assert.Empty(await Targets("target=Bielavia"));
        Assert.Equal(["BY-US Belavia"], await Targets("target=Bielavia&match=similar"));
        Assert.Equal(["BY-LT Hrodna Azot (Grodno Azot)"], await Targets($"target={Uri.EscapeDataString("Гродно азот")}&match=SIMILAR"));
        Assert.Empty(await Targets("target=ofac-124&match=similar"));
        Assert.Equal("similar", (string)(await GetJson("/api/sanctions?target=hrodno&match=similar"))["match"]!);
        Assert.Null((await GetJson("/api/sanctions?target=hrodno"))["match"]);
        // each row screened says why it matched: each word, the word of the target or id it found, and how
        var why = (await GetJson($"/api/sanctions?asOf=2025-01-01&target={Uri.EscapeDataString("Гродно азот 1234")}&match=similar"))["sanctions"]!.AsArray().Single()!["matched"]!;
        Assert.Equal("""[{"word":"grodno","found":"Grodno","in":"target","how":"as typed"},{"word":"azot","found":"Azot","in":"target","how":"as typed"},{"word":"1234","found":"1234","in":"targetId","how":"as typed"}]""", why.ToJsonString());
        var spelt = (await GetJson("/api/sanctions?asOf=2025-01-01&target=Bielavia&match=similar"))["sanctions"]!.AsArray().Single()!["matched"]!;
        Assert.Equal("""[{"word":"bielavia","found":"Belavia","in":"target","how":"a letter apart"}]""", spelt.ToJsonString());
        Assert.All((await GetJson("/api/sanctions?asOf=2025-01-01"))["sanctions"]!.AsArray(), row => Assert.False(row!.AsObject().ContainsKey("matched")));
        var screened = await (await Http.GetAsync("/api/sanctions?asOf=2025-01-01&target=hrodna&format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.EndsWith(",matched", screened.Split("\r\n")[0]);
        Assert.EndsWith(",\"hrodna: Hrodna\"", screened.Split("\r\n")[1]);
        var fuzzy = await Http.GetAsync("/api/sanctions?target=belavia&match=fuzzy", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, fuzzy.StatusCode);
        Assert.Contains("\"match\":[\"Must be one of: words, similar.\"]", await fuzzy.Content.ReadAsStringAsync(Ct));
        // the answer says what it is: how to ask for it again
        var echoed = await GetJson("/api/sanctions?asOf=2025-01-01&target=%20azot&imposedBy=lt&status=ACTIVE&knownAt=2030-01-01");
        Assert.Equal("2025-01-01 2030-01-01T00:00:00+00:00 LT active azot",
            $"{echoed["asOf"]} {echoed["knownAt"]} {echoed["imposedBy"]} {echoed["status"]} {echoed["target"]}");
        var pinned = await GetJson("/api/sanctions?asOf=2025-01-01&basis=1");
        Assert.Equal(1, (long)pinned["basis"]!);
        Assert.Null(pinned["knownAt"]);
        Assert.True(DateTimeOffset.Parse((string)(await GetJson("/api/sanctions"))["knownAt"]!) > DateTimeOffset.UtcNow.AddMinutes(-1));
        var csv = await (await Http.GetAsync("/api/sanctions?asOf=2025-01-01&target=azot&format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Equal(2, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        await WordsRefused("/api/sanctions", "target");
    }

    [Fact]
    public async Task the_register_answers_304_until_an_append_and_is_immutable_pinned_by_a_settled_instant()
    {
        var first = await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09"));
        const string today = "/api/sanctions?asOf=2025-01-01";
        var open = await Get(today);
        Assert.Equal("no-cache", open.Headers.CacheControl!.ToString());
        Assert.True(open.Headers.ETag!.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(today, open.Headers.ETag.ToString())).StatusCode);
        Assert.NotEqual(open.Headers.ETag, (await Get(today + "&format=csv")).Headers.ETag);

        var at = Uri.EscapeDataString((string)first["recordedAt"]!);
        var pinnedUrl = $"/api/sanctions?asOf=2025-01-01&knownAt={at}";
        var pinned = await Get(pinnedUrl);
        Assert.Equal("public, max-age=31536000, immutable", pinned.Headers.CacheControl!.ToString());
        Assert.False(pinned.Headers.ETag!.IsWeak);
        var body = await pinned.Content.ReadAsStringAsync(Ct);
        Assert.Single(JsonNode.Parse(body)!["sanctions"]!.AsArray());
        var byBasis = await Get($"/api/sanctions?asOf=2025-01-01&basis={first["sequence"]}");
        Assert.Equal("public, max-age=31536000, immutable", byBasis.Headers.CacheControl!.ToString());
        // the same rows; each answer names its own moment
        Assert.Equal(JsonNode.Parse(body)!["sanctions"]!.ToJsonString(), JsonNode.Parse(await byBasis.Content.ReadAsStringAsync(Ct))!["sanctions"]!.ToJsonString());

        // an append to another pair changes the newest register, not the one as known before it
        await Record("US-RU", Samples.Event("SanctionsImposed", "2024-02-23"));
        var changed = await Get(today, open.Headers.ETag.ToString());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(2, JsonNode.Parse(await changed.Content.ReadAsStringAsync(Ct))!["sanctions"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(pinnedUrl, pinned.Headers.ETag.Tag)).StatusCode);
        Assert.Equal(body, await (await Get(pinnedUrl)).Content.ReadAsStringAsync(Ct));
        // without a date it is today's register, and an instant still ahead is the newest knowledge: neither is fixed
        foreach (var unpinned in new[] { $"/api/sanctions?knownAt={at}", "/api/sanctions?asOf=2025-01-01&knownAt=2100-01-01T00:00:00Z", "/api/sanctions?asOf=2025-01-01&basis=1000000" })
            Assert.Equal("no-cache", (await Get(unpinned)).Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task the_status_reports_counts_the_last_append_and_projection_lag()
    {
        await Record("DE-US", Samples.Event("EmbassyClosed", "2022-02-28"));
        await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        await Record("US-BY", Samples.Event("EmbassyReopened", "2023-02-28"));
        await App.WaitForProjectionsAsync();
        var status = await GetJson("/api/status");
        Assert.Equal((3, 2), ((int)status["events"]!, (int)status["pairs"]!));
        Assert.Equal("BY-US", (string?)status["lastAppend"]!["pair"]);
        var projection = Assert.Single(status["projections"]!.AsArray())!;
        Assert.Equal(0, (int)projection["lag"]!);
    }

    [Theory]
    [InlineData("/"), InlineData("/relations/US-BY"), InlineData("/relations/US-BY/timeline"), InlineData("/relations/US-BY/diff"),
     InlineData("/relations/US-BY/add"), InlineData("/events/00000000-0000-0000-0000-000000000001"), InlineData("/sanctions"), InlineData("/status")]
    public async Task every_page_has_its_shared_parts_filled_in(string path)
    {
        var html = await Http.GetStringAsync(path, Ct);
        Assert.DoesNotContain("<!--#", html);
        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.Contains("href=\"/css/site.css\"", html);
        Assert.Contains("id=\"site-header\"", html);
        Assert.Contains("class=\"site-footer\"", html);
    }

    [Theory]
    [InlineData("/index.html"), InlineData("/relation.html"), InlineData("/partials/site-header.html")]
    public async Task a_page_template_is_not_served_as_a_file(string path) =>
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(path, Ct)).StatusCode);

    [Fact]
    public async Task html_pages_carry_a_strict_content_security_policy()
    {
        var response = await Http.GetAsync("/relations/US-BY", Ct);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        }
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }
}
