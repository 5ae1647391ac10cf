using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RelationsLedger.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace RelationsLedger.Tests.Browser;

/// <summary>The dashboards in a real browser over the seeded US–Belarus history.</summary>
public sealed class DashboardTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonObject> Post(JsonObject body)
    {
        using var http = host.App.Client();
        var response = await http.PostAsJsonAsync("/api/relations/US-BY/events", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<Guid> SeededEvent(string type, string from, string to)
    {
        using var http = host.App.Client();
        var page = JsonNode.Parse(await http.GetStringAsync($"/api/relations/US-BY/timeline?types={type}&from={from}&to={to}", Ct))!;
        return Guid.Parse((string)page["events"]![0]!["eventId"]!);
    }

    /// <summary>A whole second (a datetime-local field's precision) after everything recorded so far and before
    /// anything recorded next: it waits until that second has passed. The browser runs in UTC.</summary>
    private static async Task<DateTime> AWholeSecondBetweenRecords()
    {
        var now = DateTime.UtcNow;
        var second = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(1);
        await Task.Delay(second - now + TimeSpan.FromMilliseconds(100));
        return second;
    }

    /// <summary>Runs <paramref name="test"/> with the seeded US embassy closure of 2022-02-28 corrected from
    /// suspended to closed, given a whole second before the correction; the closure is put back as it was afterwards,
    /// for the other tests of the shared app.</summary>
    private async Task WithTheClosureCorrectedToClosed(Func<DateTime, Task> test)
    {
        var closure = await SeededEvent("EmbassyClosed", "2022-02-28", "2022-02-28");
        var before = await AWholeSecondBetweenRecords();
        await Post(Samples.Correction(closure, new JsonObject { ["data"] = new JsonObject { ["mode"] = "closed" } }));
        try { await test(before); }
        finally { await Post(Samples.Correction(closure, new JsonObject { ["data"] = new JsonObject { ["mode"] = "suspended" } })); }
    }

    /// <summary>What to type in an "as known at" box for the knowledge just before <paramref name="at"/> (a whole
    /// second, UTC): a time typed to the second runs to the end of that second, so the second before it.</summary>
    private static string TypedJustBefore(DateTime at) => at.AddSeconds(-1).ToString("yyyy-MM-dd HH:mm:ss");

    /// <summary>The knownAt of every API request the page sends from now on, decoded (a "+" stays a "+").</summary>
    private static List<string> KnownAtSent(IPage page)
    {
        var sent = new List<string>();
        page.Request += (_, r) =>
        {
            var m = Regex.Match(r.Url, @"/api/[^?]*\?(?:.*&)?knownAt=([^&]*)");
            if (m.Success) lock (sent) sent.Add(Uri.UnescapeDataString(m.Groups[1].Value));
        };
        return sent;
    }

    private static async Task SetDate(IPage page, string date)
    {
        await page.Locator("#asof-date").FillAsync(date);
        await page.Locator("#asof-date").DispatchEventAsync("change");
        await Expect(page.Locator("#asof-output")).ToHaveTextAsync(date);
    }

    [Fact]
    public async Task every_page_loads_without_script_or_csp_errors_and_is_saved_as_a_screenshot()
    {
        var visit = await SeededEvent("EnvoyVisited", "2025-09-11", "2025-09-11");
        Directory.CreateDirectory(BrowserHost.Screenshots);
        foreach (var (name, path, width) in new[]
        {
            ("index", "/", 1280), ("overview", "/relations/US-BY?asOf=2025-09-11", 1280), ("overview-375", "/relations/US-BY?asOf=2025-09-11", 375),
            ("timeline", "/relations/US-BY/timeline", 1280), ("event", $"/events/{visit}", 1280),
            ("diff", "/relations/US-BY/diff?from=2025-01-01&to=2025-09-30", 1280), ("sanctions", "/sanctions", 1280),
            ("status", "/status", 1280), ("add-event", "/relations/US-BY/add", 1280), ("api-docs", "/docs", 1280), ("log", "/log", 1280),
        })
        {
            var errors = new List<string>();
            var context = await host.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = host.App.Address.ToString(), ViewportSize = new ViewportSize { Width = width, Height = 900 }, TimezoneId = "UTC",
            });
            var page = await context.NewPageAsync();
            page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
            page.PageError += (_, e) => errors.Add(e);
            var response = await page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
            Assert.Equal(200, response!.Status);
            if (name == "api-docs") await Expect(page.GetByText("RelationsLedger API").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.WaitForTimeoutAsync(400);
            Assert.True(errors.Count == 0, $"{path}: {string.Join(" | ", errors)}");
            if (width == 375)
                Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= 376, $"{path} scrolls sideways at 375 px");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserHost.Screenshots, $"{name}.png"), FullPage = name.StartsWith("overview") });
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task moving_the_slider_and_the_date_replays_embassies_and_sanctions_as_the_seed_history_says()
    {
        var page = await host.OpenAsync("/relations/US-BY");
        var slider = page.Locator("#asof-slider");
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await Expect(page.Locator("#asof-output")).ToHaveTextAsync("2006-06-16");
        await Expect(page.Locator("#embassies")).ToContainTextAsync("No embassies");
        await Expect(page.Locator("#sanction-counts")).ToHaveAttributeAsync("aria-label", "Sanctions measures by status: active 1");

        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#embassies")).ToContainTextAsync("suspended");
        await Expect(page.Locator("#embassies")).ToContainTextAsync("2022-02-28");

        await SetDate(page, "2022-02-27");
        await Expect(page.Locator("#embassies")).ToContainTextAsync("No embassies");
        await SetDate(page, "2025-09-10");
        await Expect(page.Locator("#sanction-counts")).Not.ToHaveAttributeAsync("aria-label", new Regex("eased"));
        await SetDate(page, "2025-09-11");
        await Expect(page.Locator("#sanction-counts")).ToHaveAttributeAsync("aria-label", new Regex("eased 1"));
        await Expect(page.Locator("#sanctions")).ToContainTextAsync("Belavia");
    }

    [Fact]
    public async Task the_register_screens_a_target_as_known_at_an_instant_and_its_csv_link_keeps_the_filters()
    {
        var page = await host.OpenAsync("/sanctions?asOf=2025-09-30&target=belavia");
        var rows = page.Locator("#register tbody tr");
        // the seed history's two Belavia measures: the lapsed BIS denial order and the eased OFAC designation
        await Expect(rows).ToHaveCountAsync(2);
        foreach (var row in await rows.AllAsync()) await Expect(row).ToContainTextAsync("Belavia");
        await Expect(page.Locator("#register-caption")).ToContainTextAsync("target matching “belavia” — 2 rows");
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", "/api/sanctions?asOf=2025-09-30&target=belavia&format=csv");
        // typed, not yet shown: the link still downloads what the table shows
        await page.Locator("#register-target").FillAsync("potash");
        await page.Locator("#register-issuer").FillAsync("EU");
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", "/api/sanctions?asOf=2025-09-30&target=belavia&format=csv");
        await page.Locator("#register-issuer").FillAsync("");
        await page.Locator("#register-filters button[type=submit]").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Belarusian Potash Company");
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", "/api/sanctions?asOf=2025-09-30&target=potash&format=csv");
        await Expect(page).ToHaveURLAsync(new Regex(@"target=potash$"));
        // a name spelt another way: found with similar spellings, which the address and the CSV link keep
        await page.Locator("#register-target").FillAsync("Lukashenka press");
        await page.Locator("#register-filters button[type=submit]").ClickAsync();
        await Expect(page.Locator("#register tbody")).ToContainTextAsync("No sanctions measures match");
        await page.Locator("#register-similar").CheckAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Lukashenko press secretary");
        // and why: each word, the word of the target it found, and how
        await Expect(rows.First.Locator(".matched")).ToHaveTextAsync("Matched: lukashenka ≈ Lukashenko (a letter apart); press → press");
        await Expect(page.Locator("#register-caption")).ToContainTextAsync("target spelt like “Lukashenka press” — 1 row");
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", new Regex("target=Lukashenka\\+press&match=similar&format=csv$"));
        await Expect(page).ToHaveURLAsync(new Regex(@"target=Lukashenka\+press&match=similar$"));
        await page.ReloadAsync();
        await Expect(page.Locator("#register-similar")).ToBeCheckedAsync();
        await Expect(rows).ToHaveCountAsync(1);
        // with no target there is nothing to spell: the address and the CSV link leave similar spellings out
        await page.Locator("#register-target").FillAsync("");
        await page.Locator("#register-filters button[type=submit]").ClickAsync();
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", "/api/sanctions?asOf=2025-09-30&format=csv");
        await Expect(page).ToHaveURLAsync(new Regex(@"/sanctions\?asOf=2025-09-30$"));
        await page.Locator("#register-target").FillAsync("potash");
        await page.Locator("#register-similar").UncheckAsync();
        await Expect(rows).ToHaveCountAsync(1);
        // as known at a moment before the seeds were recorded: nothing yet; the instant goes to the API and the CSV link
        await page.Locator("#register-known").FillAsync("2020-01-01 00:00");
        await page.Locator("#register-known").DispatchEventAsync("change");
        await Expect(page.Locator("#register tbody")).ToContainTextAsync("No sanctions measures match");
        // typed to the minute, in UTC: to the end of that minute, which the box, the caption, the link and the address say
        await Expect(page.Locator("#register-known")).ToHaveValueAsync("2020-01-01T00:00:59.999999Z");
        await Expect(page.Locator("#register-caption")).ToContainTextAsync("as known at 2020-01-01 00:00:59.999999 UTC");
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", new Regex(@"knownAt=2020-01-01T00%3A00%3A59\.999999Z"));
        await Expect(page).ToHaveURLAsync(new Regex(@"knownAt=2020-01-01T00%3A00%3A59\.999999Z"));
        // and what is not a moment is said beside the box, the register left as it was asked
        await page.Locator("#register-known").FillAsync("2025-02-30 10:00");
        await page.Locator("#register-known").DispatchEventAsync("change");
        await Expect(page.Locator("#error-register-known")).ToContainTextAsync("is not a date and time");
        await Expect(page).ToHaveURLAsync(new Regex(@"knownAt=2020-01-01T00%3A00%3A59\.999999Z"));
        await page.Locator("#register-known").FillAsync("");
        await page.Locator("#register-known").DispatchEventAsync("change");
        await Expect(rows).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task the_timeline_downloads_as_csv_what_its_filters_show()
    {
        var page = await host.OpenAsync("/relations/US-BY/timeline?from=2025-01-01&to=2025-12-31");
        var items = page.Locator("#timeline li.timeline-item");
        await Expect(items.First).ToBeVisibleAsync();
        // each item says when and by whom it was recorded: the seed file, for the seed history
        await Expect(items.First.Locator(".item-recorded")).ToHaveTextAsync(new Regex(@"^Recorded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\S* by seed:us-by\.ndjson as #\d+$"));
        var link = page.Locator("#download-csv");
        await Expect(link).ToHaveAttributeAsync("href", "/api/relations/US-BY/timeline?from=2025-01-01&to=2025-12-31&limit=10000&format=csv");
        async Task<List<string[]>> Downloaded() =>
            CsvText.Records(await page.EvaluateAsync<string>("async (u) => (await fetch(u)).text()", await link.GetAttributeAsync("href")));
        var shown = await items.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.eventId)");
        Assert.Equal(shown, (await Downloaded()).Skip(1).Select(r => r[6]));
        // one type ticked: the link follows the filters
        await page.Locator("#type-EnvoyVisited").CheckAsync();
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(link).ToHaveAttributeAsync("href", "/api/relations/US-BY/timeline?from=2025-01-01&to=2025-12-31&types=EnvoyVisited&limit=10000&format=csv");
        var visits = await Downloaded();
        Assert.True(visits.Count > 1, string.Join("\n", visits.Select(r => string.Join(",", r))));
        Assert.All(visits.Skip(1), r => Assert.Equal("EnvoyVisited", r[1]));
    }

    [Fact]
    public async Task with_a_key_the_tab_keeps_the_csv_links_download_with_it_and_a_refused_download_says_where_to_give_it()
    {
        // a ledger whose reads need a key (Ledger:ReadsRequireKey), its answers played in front of the shared app: no key
        // 401, another key 403 (a plain link, sending none, could not download)
        var page = await host.OpenAsync("/relations/US-BY/timeline?from=2025-01-01&to=2025-12-31");
        await page.RouteAsync("**/api/**", async route =>
        {
            var key = await route.Request.HeaderValueAsync("x-api-key");
            if (key == LedgerApp.ApiKey) await route.ContinueAsync();
            else await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = key is null ? 401 : 403, ContentType = "application/problem+json",
                Body = key is null ? """{"title":"An API key is required.","status":401}""" : """{"title":"This API key is not valid.","status":403}""",
            });
        });
        await page.EvaluateAsync("(key) => sessionStorage.setItem('relationsledger.apiKey', key)", LedgerApp.ApiKey);
        await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(page.Locator("#timeline li.timeline-item").First).ToBeVisibleAsync();
        var link = page.Locator("#download-csv");
        using var http = host.App.Client();
        // the file saved is the endpoint's CSV, under the link's name
        async Task Downloads(string name)
        {
            var download = await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
            Assert.Equal(name, download.SuggestedFilename);
            var csv = await File.ReadAllTextAsync(await download.PathAsync(), Ct);
            Assert.Equal(await http.GetStringAsync(await link.GetAttributeAsync("href"), Ct), csv);
            Assert.True(CsvText.Records(csv).Count > 1, csv);
        }
        await Downloads("timeline-US-BY.csv");
        await Expect(link).ToHaveAttributeAsync("href", "/api/relations/US-BY/timeline?from=2025-01-01&to=2025-12-31&limit=10000&format=csv");
        await page.EvaluateAsync("() => sessionStorage.setItem('relationsledger.apiKey', 'not-the-key')");
        await link.ClickAsync();
        await Expect(page.Locator("#timeline-status")).ToContainTextAsync("Could not download the timeline: This API key is not valid. (HTTP 403) — this ledger asks a key for reads too");
        // the register's link, the same way
        await page.EvaluateAsync("(key) => sessionStorage.setItem('relationsledger.apiKey', key)", LedgerApp.ApiKey);
        await page.GotoAsync("/sanctions?asOf=2025-09-30", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(link).ToBeVisibleAsync();
        await Downloads("sanctions-as-of-2025-09-30.csv");
    }

    [Fact]
    public async Task the_log_lists_what_was_recorded_newest_first_narrowed_by_writer_and_type_with_older_records_on_demand()
    {
        using var http = host.App.Client();
        var newest = JsonNode.Parse(await http.GetStringAsync("/api/events?order=desc&limit=1", Ct))!["events"]![0]!;
        var page = await host.OpenAsync("/log");
        var rows = page.Locator("#log tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).ToHaveAttributeAsync("data-sequence", $"{newest["recorded"]!["sequence"]}");
        // the seed history has more than a page: the older records come on demand, newest first throughout
        await page.Locator("#log-more").ClickAsync();
        await Expect(rows).Not.ToHaveCountAsync(50);
        var sequences = await rows.EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.sequence))");
        Assert.True(sequences.Length > 77 - 1 && sequences.SequenceEqual(sequences.OrderDescending()), string.Join(",", sequences));

        // the seed file's corrections: each names the fact it corrects, and the address keeps the filters
        await page.Locator("#log-writer").FillAsync("seed:us-by.ndjson");
        await page.Locator("#log-type").SelectOptionAsync("EventCorrected");
        await page.Locator("#log-filters button[type=submit]").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("seed:us-by.ndjson");
        await Expect(rows.First.Locator("div.muted a")).ToHaveAttributeAsync("href", new Regex("^/events/[0-9a-f-]{36}$"));
        await Expect(rows.First).ToContainTextAsync("corrects");
        await Expect(page).ToHaveURLAsync(new Regex(@"/log\?recordedBy=seed%3Aus-by\.ndjson&types=EventCorrected$"));
        await Expect(page.Locator("#log-more")).ToBeHiddenAsync();
        // a writer who recorded nothing
        await page.Locator("#log-writer").FillAsync("nobody");
        await page.Locator("#log-filters button[type=submit]").ClickAsync();
        await Expect(page.Locator("#log-message")).ToContainTextAsync("Nothing recorded matches");
    }

    [Fact]
    public async Task type_filters_in_the_address_are_shown_in_the_controls_in_any_case_and_kept()
    {
        var page = await host.OpenAsync("/relations/US-BY/timeline?types=envoyvisited");
        var items = page.Locator("#timeline li.timeline-item");
        await Expect(page.Locator("#type-EnvoyVisited")).ToBeCheckedAsync();
        var count = await items.CountAsync();
        Assert.True(count > 0);
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"types=EnvoyVisited$"));
        await Expect(items).ToHaveCountAsync(count);

        var log = await host.OpenAsync("/log?types=sourcecited");
        await Expect(log.Locator("#log-type")).ToHaveValueAsync("SourceCited");
        log = await host.OpenAsync("/log?types=SourceCited,eventcorrected");
        await Expect(log.Locator("#log-type")).ToHaveValueAsync("SourceCited,EventCorrected");
        await Expect(log.Locator("#log-type option:checked")).ToHaveTextAsync("Source cited + Event corrected");
        await log.Locator("#log-filters button[type=submit]").ClickAsync();
        await Expect(log).ToHaveURLAsync(new Regex(@"types=SourceCited%2CEventCorrected$"));
        var types = await log.Locator("#log tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type)");
        Assert.True(types.Length > 0 && types.All(t => t is "SourceCited" or "EventCorrected"), string.Join(",", types));
    }

    [Fact]
    public async Task released_prisoners_by_nationality_add_up_to_the_total_and_counts_say_what_they_count()
    {
        var page = await host.OpenAsync("/relations/US-BY?asOf=2025-12-31");
        var total = int.Parse(await page.Locator("#prisoners-total").InnerTextAsync());
        var rows = page.Locator("#prisoners-by-nationality tbody tr");
        await Expect(rows.Last).ToHaveAttributeAsync("data-nationality", "");
        await Expect(rows.Last).ToContainTextAsync("Nationality not recorded");
        var numbers = await page.Locator("#prisoners-by-nationality tbody td.num").AllInnerTextsAsync();
        Assert.Equal(total, numbers.Sum(int.Parse));
        var diff = await host.OpenAsync("/relations/US-BY/diff?from=2006-01-01&to=2025-12-31");
        await Expect(diff.Locator("#changes [data-section=prisonersReleased] .change-head")).ToContainTextAsync("nationality not recorded +");

        // the status page counts every record, the others the facts: their labels differ
        var status = await host.OpenAsync("/status");
        await Expect(status.Locator("#status-cards .card").First.Locator(".card-label")).ToHaveTextAsync("Records");
        var home = await host.OpenAsync("/");
        await Expect(home.Locator("main dt", new() { HasText = "Facts" }).First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task addresses_naming_no_real_date_or_no_relationship_say_so()
    {
        var page = await host.OpenAsync("/relations/US-BY?asOf=2025-02-30");
        await Expect(page.Locator("#state-message")).ToContainTextAsync("asOf=2025-02-30 in the address is not a date");
        page = await host.OpenAsync("/sanctions?asOf=2025-02-31");
        await Expect(page.Locator("#register-status-message")).ToContainTextAsync("asOf=2025-02-31 in the address is not a date");
        await Expect(page.Locator("#register tbody tr")).ToHaveCountAsync(0);
        page = await host.OpenAsync("/relations/US-BY/timeline?from=2025-13-01");
        await Expect(page.Locator("#timeline-status")).ToContainTextAsync("from=2025-13-01 in the address is not a date");

        // a future date is said to be one, the state as recorded so far
        page = await host.OpenAsync("/relations/US-BY?asOf=2030-01-01");
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("Not live (a future date: the state as recorded so far)");
        // codes that name no country: the API's 400, not an empty dashboard of an "Unknown Region"
        page = await host.OpenAsync("/relations/XX-ZZ");
        await Expect(page.Locator("#state-message")).ToContainTextAsync("XX-ZZ is not a relationship");
        await Expect(page.Locator("#embassies")).ToBeHiddenAsync();
        await Expect(page.Locator("#pair-title")).ToHaveTextAsync("XX-ZZ");
        // a real pair with no events: said, no charts, and the slider starts nowhere but today
        page = await host.OpenAsync("/relations/FR-DE");
        await Expect(page.Locator("#pair-lede")).ToContainTextAsync("No events recorded for this pair");
        await Expect(page.Locator("#chart-sanctions")).ToBeHiddenAsync();
        Assert.Equal(await page.Locator("#asof-slider").GetAttributeAsync("max"), await page.Locator("#asof-slider").GetAttributeAsync("min"));
    }

    [Fact]
    public async Task a_target_link_says_it_screens_the_words_of_the_name_and_the_known_at_box_fits_a_phone()
    {
        var page = await host.OpenAsync("/sanctions?asOf=2025-09-30&target=belarus");
        var link = page.Locator("#register a.target-link", new() { HasText = "Belarus" }).First;
        await Expect(link).ToHaveAttributeAsync("title", new Regex("whose target or id holds these words"));
        const string exact = "2026-11-26T00:44:55.151307+00:00";
        foreach (var (path, box) in new[] { ("/sanctions", "#register-known"), ("/relations/US-BY/timeline", "#filter-known"), ("/relations/US-BY/diff", "#diff-known") })
        {
            page = await host.OpenAsync($"{path}?knownAt={Uri.EscapeDataString(exact)}", width: 390);
            await Expect(page.Locator(box)).ToHaveValueAsync(exact);
            Assert.True(await page.Locator(box).EvaluateAsync<bool>("i => i.scrollWidth <= i.clientWidth"), $"{path}: the box cuts {exact}");
        }
    }

    [Fact]
    public async Task a_target_in_the_overview_opens_the_register_screened_for_it_at_the_same_date()
    {
        var page = await host.OpenAsync("/relations/US-BY?asOf=2025-09-11");
        var target = page.Locator("#sanctions a.target-link", new() { HasText = "Belavia" }).First;
        await Expect(target).ToBeVisibleAsync();
        await target.ClickAsync();
        // the address alone: WaitForURL also waits for the load event, which a CI run once never saw though the page was idle
        await Expect(page).ToHaveURLAsync(new Regex(@"/sanctions\?asOf=2025-09-11&target=Belavia(\+|%20)Belarusian(\+|%20)Airlines$"));
        // the lapsed denial order and the designation eased that day
        await Expect(page.Locator("#register tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#register-target")).ToHaveValueAsync("Belavia Belarusian Airlines");
    }

    [Fact]
    public async Task clicking_a_chart_sets_the_replay_date()
    {
        var page = await host.OpenAsync("/relations/US-BY");
        await page.WaitForFunctionAsync("() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-contacts'))?.getOption()?.xAxis?.[0]?.data?.includes('2019')");
        async Task ClickAt(string chart, string point)
        {
            await page.Locator($"#{chart}").ScrollIntoViewIfNeededAsync();
            var xy = await page.EvaluateAsync<double[]>($@"() => {{
                const node = document.getElementById('{chart}');
                const [x, y] = echarts.getInstanceByDom(node).convertToPixel({{ gridIndex: 0 }}, [{point}, 0]);
                const box = node.getBoundingClientRect();
                return [box.left + x, box.top + y - 4];
            }}");
            await page.Mouse.ClickAsync((float)xy[0], (float)xy[1]);
        }

        await ClickAt("chart-contacts", "'2019'");
        await Expect(page.Locator("#asof-output")).ToHaveTextAsync("2019-12-31");
        await Expect(page.Locator("#asof-date")).ToHaveValueAsync("2019-12-31");

        await ClickAt("chart-prisoners", "Date.parse('2025-06-21')");
        await Expect(page.Locator("#asof-output")).ToHaveTextAsync(new Regex("^2025-"));
    }

    [Fact]
    public async Task the_charts_read_their_dates_in_utc_west_of_it_too()
    {
        // the points are UTC midnights: in New York's zone a local reading labels each the day before
        var page = await host.OpenAsync("/relations/US-BY?asOf=2025-09-11", timezoneId: "America/New_York");
        await page.WaitForFunctionAsync("() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-prisoners'))?.getOption()?.series?.[0]?.data?.length");
        foreach (var chart in new[] { "chart-sanctions", "chart-prisoners", "chart-contacts" })
            Assert.True(await page.EvaluateAsync<bool>($"() => echarts.getInstanceByDom(document.getElementById('{chart}')).getOption().useUTC === true"), chart);
        var label = await page.EvaluateAsync<string>("() => echarts.time.format(Date.parse('2025-06-21'), '{yyyy}-{MM}-{dd}', echarts.getInstanceByDom(document.getElementById('chart-prisoners')).getOption().useUTC)");
        Assert.Equal("2025-06-21", label);
    }

    [Fact]
    public async Task today_is_the_utc_date_in_a_browser_whose_zone_has_another_date()
    {
        // a zone whose date differs from UTC's now: Pago Pago (UTC-11) before 11:00 UTC, Kiritimati (UTC+14) after
        var zone = DateTime.UtcNow.Hour < 11 ? "Pacific/Pago_Pago" : "Pacific/Kiritimati";
        var before = DateTime.UtcNow;
        var overview = await host.OpenAsync("/relations/US-BY", timezoneId: zone);
        var sanctions = await host.OpenAsync("/sanctions", timezoneId: zone);
        var diff = await host.OpenAsync("/relations/US-BY/diff", timezoneId: zone);
        var after = DateTime.UtcNow;
        // a run across midnight UTC may see either day
        var days = new[] { before, after }.Select(d => d.ToString("yyyy-MM-dd")).Distinct().ToArray();
        void IsToday(string? value, string what) => Assert.True(days.Contains(value), $"{what}: {value}, not {string.Join(" or ", days)} ({zone})");
        IsToday(await overview.Locator("#asof-date").InputValueAsync(), "overview date");
        var max = long.Parse((await overview.Locator("#asof-slider").GetAttributeAsync("max"))!);
        IsToday(DateTime.UnixEpoch.AddDays(max).ToString("yyyy-MM-dd"), "slider end");
        IsToday((await overview.Locator("#slider-max").InnerTextAsync()).Replace(" (today)", ""), "slider end label");
        IsToday(await sanctions.Locator("#register-asof").InputValueAsync(), "register date");
        IsToday(await diff.Locator("#diff-to").InputValueAsync(), "diff to");
        var from = DateTime.ParseExact(await diff.Locator("#diff-from").InputValueAsync(), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        // a year before 29 February is 1 March in the page's arithmetic (JavaScript rolls 29 February over), 28 February in .NET's
        Assert.True(days.Any(d => DateTime.Parse(d, System.Globalization.CultureInfo.InvariantCulture).AddYears(-1) is var yearAgo && (from == yearAgo || d.EndsWith("-02-29") && from == yearAgo.AddDays(1))),
            $"diff from {from:yyyy-MM-dd}, not a year before {string.Join(" or ", days)}");
    }

    [Fact]
    public async Task a_key_the_tab_keeps_goes_with_the_pages_reads_and_a_refused_read_says_where_to_give_it()
    {
        // a ledger whose reads need a key (Ledger:ReadsRequireKey): the add page's key, kept for the tab, goes with every read
        var page = await host.OpenAsync("/");
        await page.EvaluateAsync("() => sessionStorage.setItem('relationsledger.apiKey', 'reader-key')");
        var keys = new List<string?>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/")) lock (keys) keys.Add(r.Headers.TryGetValue("x-api-key", out var k) ? k : null); };
        await page.RouteAsync("**/api/relations", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 401, ContentType = "application/problem+json", Body = """{"title":"An API key is required.","status":401}""",
        }));
        await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.NetworkIdle });
        lock (keys) Assert.NotEmpty(keys);
        lock (keys) Assert.All(keys, k => Assert.Equal("reader-key", k));
        await Expect(page.Locator("main")).ToContainTextAsync("asks a key for reads");
    }

    [Fact]
    public async Task as_known_at_shows_what_was_recorded_then_and_marks_what_was_corrected_later()
    {
        await WithTheClosureCorrectedToClosed(async before =>
        {
            var page = await host.OpenAsync("/relations/US-BY?asOf=2023-01-01");
            await Expect(page.Locator("#embassies")).ToContainTextAsync("closed");
            await page.Locator("#known-at").FillAsync(TypedJustBefore(before));
            await page.Locator("#known-at").DispatchEventAsync("change");
            await Expect(page.Locator("#embassies")).ToContainTextAsync("suspended");
            await Expect(page.Locator("#embassies")).ToContainTextAsync("corrected later");
        });
    }

    [Fact]
    public async Task the_nationality_not_recorded_row_is_marked_when_a_later_correction_changed_it()
    {
        var release = await SeededEvent("PrisonersReleased", "2025-09-11", "2025-09-11");
        using var http = host.App.Client();
        var count = (int)JsonNode.Parse(await http.GetStringAsync($"/api/events/{release}", Ct))!["data"]!["count"]!;
        var before = await AWholeSecondBetweenRecords();
        // one more released than the breakdown names: one more whose nationality is not recorded
        await Post(Samples.Correction(release, new JsonObject { ["data"] = new JsonObject { ["count"] = count + 1 } }));
        try
        {
            var page = await host.OpenAsync("/relations/US-BY?asOf=2025-12-31");
            var row = page.Locator("#prisoners-by-nationality tr[data-nationality='']");
            var now = int.Parse(await row.Locator("td.num").InnerTextAsync());
            await Expect(row).Not.ToHaveAttributeAsync("data-differs", "true");
            await page.Locator("#known-at").FillAsync(TypedJustBefore(before));
            await page.Locator("#known-at").DispatchEventAsync("change");
            await Expect(row.Locator("td.num")).ToHaveTextAsync($"{now - 1}");
            await Expect(row).ToHaveAttributeAsync("data-differs", "true");
            await Expect(row.Locator(".badge-later")).ToHaveTextAsync("corrected later");
            await Expect(row).ToContainTextAsync($"Now: {now}");
        }
        finally { await Post(Samples.Correction(release, new JsonObject { ["data"] = new JsonObject { ["count"] = count } })); }
    }

    [Fact]
    public async Task the_pair_navigation_keeps_the_replay_date_and_the_knowledge()
    {
        var knownAt = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss}Z";
        var page = await host.OpenAsync($"/relations/US-BY?asOf=2025-09-11&knownAt={knownAt}");
        var nav = page.Locator("#pair-nav");
        await nav.GetByRole(AriaRole.Link, new() { Name = "Timeline" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/timeline\?"));
        await Expect(page.Locator("#filter-known")).ToHaveValueAsync(knownAt);
        await Expect(page.Locator("#timeline li.timeline-item").First).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "What changed" }).ClickAsync();
        await Expect(page.Locator("#diff-known")).ToHaveValueAsync(knownAt);
        await Expect(page.Locator("main")).ToContainTextAsync("as known at");
        await nav.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.Locator("#asof-date")).ToHaveValueAsync("2025-09-11");
        await Expect(page.Locator("#known-at")).ToHaveValueAsync(knownAt);
        // a date picked since goes with it
        await SetDate(page, "2025-09-12");
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Timeline" })).ToHaveAttributeAsync("href", new Regex(@"asOf=2025-09-12&knownAt="));
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Add an event" })).ToHaveAttributeAsync("href", "/relations/US-BY/add");
    }

    [Fact]
    public async Task the_timeline_finds_events_by_the_words_of_their_text()
    {
        var page = await host.OpenAsync("/relations/US-BY/timeline");
        var items = page.Locator("#timeline li.timeline-item");
        await Expect(items.First).ToBeVisibleAsync();
        await page.Locator("#filter-q").FillAsync("CUFFLINKS white house");
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(items).ToHaveCountAsync(1);
        await Expect(items.First).ToHaveAttributeAsync("data-type", "GiftPresented");
        // the words marked where the summary has them, in its own case
        await Expect(items.First.Locator(".item-summary mark")).ToHaveTextAsync(["cufflinks", "White", "House"]);
        await Expect(items.First.Locator(".item-summary")).ToHaveTextAsync(new Regex("^John Coale presents Lukashenko with cufflinks bearing an image of the White House"));
        await Expect(page).ToHaveURLAsync(new Regex(@"q=CUFFLINKS\+white\+house"));
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", new Regex("[?]q=CUFFLINKS"));
        await page.ReloadAsync();
        await Expect(page.Locator("#filter-q")).ToHaveValueAsync("CUFFLINKS white house");
        await Expect(items).ToHaveCountAsync(1);
        // one word fewer: the letter that mentions them too
        await page.Locator("#filter-q").FillAsync("cufflinks");
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(items).ToHaveCountAsync(2);
        // a word in Cyrillic finds and marks its Latin spelling
        await page.Locator("#filter-q").FillAsync("Лукашенко CUFFLINKS");
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        // the list had two items before too: wait for the marks, which only the new answer has
        await Expect(page.Locator("#timeline li[data-type=GiftPresented] .item-summary mark")).ToHaveTextAsync(["Lukashenko", "cufflinks", "Lukashenko"]);
        await Expect(items).ToHaveCountAsync(2);
        // misspelt: nothing as typed, the gift in similar spellings, which the address and the CSV link keep
        await page.Locator("#filter-q").FillAsync("cuflinks whyte hous");
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(page.Locator("#timeline-status")).ToContainTextAsync("No events match");
        await page.Locator("#filter-similar").CheckAsync();
        await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
        await Expect(items).ToHaveCountAsync(1);
        await Expect(items.First).ToHaveAttributeAsync("data-type", "GiftPresented");
        await Expect(page).ToHaveURLAsync(new Regex(@"q=cuflinks\+whyte\+hous&match=similar"));
        await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", new Regex("[?]q=cuflinks\\+whyte\\+hous&match=similar&"));
        await page.ReloadAsync();
        await Expect(page.Locator("#filter-similar")).ToBeCheckedAsync();
        await Expect(items).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task the_timeline_as_known_at_an_instant_shows_an_event_as_recorded_then()
    {
        var closure = await SeededEvent("EmbassyClosed", "2022-02-28", "2022-02-28");
        using var http = host.App.Client();
        var original = (string)JsonNode.Parse(await http.GetStringAsync($"/api/events/{closure}", Ct))!["summary"]!;
        var probe = $"Embassy closure, as corrected {Guid.NewGuid():N}";
        var before = await AWholeSecondBetweenRecords();
        await Post(Samples.Correction(closure, new JsonObject { ["summary"] = probe }));
        try
        {
            var page = await host.OpenAsync("/relations/US-BY/timeline?from=2022-02-28&to=2022-02-28&types=EmbassyClosed");
            var summary = page.Locator($"#timeline li[data-event-id='{closure}'] .item-summary");
            await Expect(summary).ToHaveTextAsync(probe);
            await page.Locator("#filter-known").FillAsync(TypedJustBefore(before));
            await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
            await Expect(summary).ToHaveTextAsync(original);
            await Expect(page.Locator("#timeline-count")).ToContainTextAsync("as known at");
            await Expect(page).ToHaveURLAsync(new Regex(@"knownAt="));
            await Expect(page.Locator("#download-csv")).ToHaveAttributeAsync("href", new Regex("knownAt=.*format=csv"));
            // the address keeps it: a reload shows the same
            await page.ReloadAsync();
            await Expect(page.Locator("#filter-known")).Not.ToHaveValueAsync("");
            await Expect(summary).ToHaveTextAsync(original);
            await page.Locator("#filter-known").FillAsync("");
            await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
            await Expect(summary).ToHaveTextAsync(probe);
            await Expect(page).Not.ToHaveURLAsync(new Regex(@"knownAt"));
        }
        finally
        {
            await Post(Samples.Correction(closure, new JsonObject { ["summary"] = original }));
        }
    }

    [Fact]
    public async Task what_changed_as_known_at_an_instant_compares_both_dates_as_recorded_then()
    {
        await WithTheClosureCorrectedToClosed(async before =>
        {
            var page = await host.OpenAsync("/relations/US-BY/diff?from=2022-02-27&to=2022-03-01");
            var embassies = page.Locator("#changes [data-section=embassies]");
            await Expect(embassies.Locator("[data-status=closed]").First).ToBeVisibleAsync();
            await Expect(embassies.Locator("[data-status=suspended]")).ToHaveCountAsync(0);
            await page.Locator("#diff-known").FillAsync(TypedJustBefore(before));
            await page.Locator("#diff-form button[type=submit]").ClickAsync();
            await Expect(embassies.Locator("[data-status=suspended]").First).ToBeVisibleAsync();
            await Expect(embassies.Locator("[data-status=closed]")).ToHaveCountAsync(0);
            await Expect(page.Locator("#diff-summary")).ToContainTextAsync("as known at");
            await Expect(page).ToHaveURLAsync(new Regex(@"knownAt="));
            await page.ReloadAsync();
            await Expect(embassies.Locator("[data-status=suspended]").First).ToBeVisibleAsync();
        });
    }

    [Theory]
    [InlineData("recorded")]   // the API's own form: "2026-11-26T00:44:55.151307+00:00", its "+" as typed in an address
    [InlineData("Z")]          // to the second, "2026-11-26T00:44:56Z"
    [InlineData("date")]       // a date alone, "2026-11-26"
    public async Task a_known_at_link_is_asked_exactly_as_written_on_every_page_and_shown_in_its_box(string form)
    {
        using var http = host.App.Client();
        var fact = JsonNode.Parse(await http.GetStringAsync("/api/relations/US-BY/timeline?from=2025-09-11&to=2025-09-11&types=EnvoyVisited", Ct))!["events"]![0]!;
        var recorded = (string)fact["recordedAt"]!;
        var at = DateTimeOffset.Parse(recorded, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
        var (knownAt, shown) = form switch
        {
            "recorded" => (recorded, $"{at:yyyy-MM-dd HH:mm:ss}{Regex.Match(recorded, @"\.\d+").Value} UTC"),
            "Z" => ($"{at.AddSeconds(1):yyyy-MM-ddTHH:mm:ss}Z", $"{at.AddSeconds(1):yyyy-MM-dd HH:mm:ss} UTC"),
            _ => ($"{at:yyyy-MM-dd}", $"{at:yyyy-MM-dd} 00:00:00 UTC"),
        };
        foreach (var (path, box) in new[]
        {
            ("/relations/US-BY?asOf=2025-09-11&", "#known-at"), ("/relations/US-BY/timeline?from=2025-09-11&to=2025-09-11&", "#filter-known"),
            ("/sanctions?asOf=2025-09-11&", "#register-known"), ("/relations/US-BY/diff?from=2025-01-01&to=2025-09-30&", "#diff-known"),
        })
        {
            var page = await host.OpenAsync("about:blank");
            var sent = KnownAtSent(page);
            await page.GotoAsync($"{path}knownAt={knownAt}", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
            await Expect(page.Locator(box)).ToHaveValueAsync(knownAt);
            await Expect(page.Locator("main")).ToContainTextAsync($"as known at {shown}");
            lock (sent) Assert.True(sent.Count > 0 && sent.All(k => k == knownAt), $"{path}: {string.Join(" | ", sent)}");
            // the recorded instant itself: the fact recorded then is in what the page answers for
            if (form == "recorded" && box == "#filter-known")
                await Expect(page.Locator($"#timeline li[data-event-id='{fact["eventId"]}']")).ToBeVisibleAsync();
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task a_known_at_to_the_minute_in_a_register_link_is_asked_as_written_not_to_the_end_of_the_minute()
    {
        using var http = host.App.Client();
        async Task<JsonArray> Register(string knownAt) =>
            JsonNode.Parse(await http.GetStringAsync($"/api/sanctions?asOf=2025-10-05&target=Belavia{(knownAt == "" ? "" : $"&knownAt={Uri.EscapeDataString(knownAt)}")}", Ct))!["sanctions"]!.AsArray();
        // the minute in which the newest of the Belavia rows' events was recorded: its start and its end answer differently
        var ids = (await Register("")).SelectMany(r => r!["eventIds"]!.AsArray()).Select(id => (string)id!).Distinct();
        var recorded = new List<DateTimeOffset>();
        foreach (var id in ids)
            recorded.Add(DateTimeOffset.Parse((string)JsonNode.Parse(await http.GetStringAsync($"/api/events/{id}", Ct))!["recordedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        var minute = recorded.Max().ToUniversalTime().ToString("yyyy-MM-ddTHH:mm");
        var exact = await Register(minute);
        Assert.NotEqual((await Register($"{minute}:59.999999Z")).ToJsonString(), exact.ToJsonString());

        var page = await host.OpenAsync("about:blank");
        var sent = KnownAtSent(page);
        await page.GotoAsync($"/sanctions?asOf=2025-10-05&knownAt={minute}&target=Belavia", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(page.Locator("#register-caption")).ToContainTextAsync($"as known at {minute.Replace('T', ' ')}:00 UTC");
        await Expect(page.Locator("#register-known")).ToHaveValueAsync(minute);
        await Expect(page).ToHaveURLAsync(new Regex($"knownAt={Regex.Escape(Uri.EscapeDataString(minute))}&"));
        lock (sent) Assert.True(sent.Count > 0 && sent.All(k => k == minute), string.Join(" | ", sent));
        var statuses = await page.Locator("#register tbody tr[data-status]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.status)");
        Assert.Equal(exact.Select(r => (string)r!["status"]!).Order(), statuses.Order());
        // asked again unchanged (another filter changed): still as written
        await page.Locator("#register-status").SelectOptionAsync("active");
        await Expect(page.Locator("#register-caption")).ToContainTextAsync(", active");
        await Expect(page.Locator("#register-known")).ToHaveValueAsync(minute);
        lock (sent) Assert.True(sent.All(k => k == minute), string.Join(" | ", sent));
    }

    [Fact]
    public async Task a_known_at_in_the_address_that_is_no_moment_is_said_beside_its_box_and_not_asked()
    {
        foreach (var (path, box) in new[]
        {
            ("/relations/US-BY?asOf=2025-09-11&", "known-at"), ("/relations/US-BY/timeline?", "filter-known"),
            ("/relations/US-BY/diff?from=2025-01-01&to=2025-09-30&", "diff-known"), ("/sanctions?asOf=2025-09-11&", "register-known"),
        })
        {
            var page = await host.OpenAsync("about:blank");
            var sent = KnownAtSent(page);
            await page.GotoAsync($"{path}knownAt=2025-02-30", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
            await Expect(page.Locator($"#error-{box}")).ToContainTextAsync("“2025-02-30” is not a date and time");
            await Expect(page.Locator($"#{box}")).ToHaveValueAsync("2025-02-30");
            await page.WaitForTimeoutAsync(300);
            lock (sent) Assert.True(sent.Count == 0, $"{path}: {string.Join(" | ", sent)}");
            await Expect(page.Locator("main .message-error")).ToHaveCountAsync(0);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task a_time_typed_as_known_at_is_utc_through_the_end_of_its_second_whatever_the_browsers_zone()
    {
        var words = $"probe{Guid.NewGuid():N}";
        var before = await AWholeSecondBetweenRecords();
        var id = Guid.Parse((string)(await Post(Samples.Event("StatementMade", "2025-09-12", summary: $"A statement, {words}")))["eventId"]!);
        try
        {
            // New York is five hours behind: a typed time read as local would be hours later, and hold the statement
            var page = await host.OpenAsync($"/relations/US-BY/timeline?q={words}", timezoneId: "America/New_York");
            var item = page.Locator($"#timeline li[data-event-id='{id}']");
            var recorded = item.Locator(".item-recorded");
            await Expect(recorded).ToHaveTextAsync(new Regex(@"^Recorded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by "));
            var shownTime = Regex.Match(await recorded.InnerTextAsync(), @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").Value;
            Assert.Equal(before.ToString("yyyy-MM-dd HH:mm:ss"), shownTime);

            await page.Locator("#filter-known").FillAsync(TypedJustBefore(before));
            await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
            await Expect(page.Locator("#timeline-status")).ToContainTextAsync("No events match");
            // the time the page showed, pasted back: the statement recorded in that second
            await page.Locator("#filter-known").FillAsync($"{shownTime} UTC");
            await page.Locator("#timeline-filters button[type=submit]").ClickAsync();
            await Expect(item).ToBeVisibleAsync();
            await Expect(page.Locator("#filter-known")).ToHaveValueAsync($"{before:yyyy-MM-ddTHH:mm:ss}.999999Z");
            await Expect(page).ToHaveURLAsync(new Regex($@"knownAt={before:yyyy-MM-ddTHH}%3A{before:mm}%3A{before:ss}\.999999Z"));
        }
        finally { await Post(Samples.Retraction(id)); }
    }

    [Fact]
    public async Task the_add_event_form_shows_server_errors_beside_the_fields_and_records_a_good_event()
    {
        var page = await host.OpenAsync("/relations/US-BY/add");
        await page.Locator("#field-apiKey").FillAsync(LedgerApp.ApiKey);
        if (await page.Locator("#field-type").EvaluateAsync<string>("e => e.tagName") == "SELECT")
            await page.Locator("#field-type").SelectOptionAsync("EmbassyOpened");
        else await page.Locator("#field-type").FillAsync("EmbassyOpened");
        await page.Locator("#field-type").DispatchEventAsync("change");
        await page.Locator("#field-occurredOn").FillAsync("2025-02-30");
        await page.Locator("#field-summary").FillAsync("The US reopens its embassy in Minsk.");
        await page.Locator("#field-data-embassyOf").FillAsync("US");
        await page.Locator("#field-data-city").FillAsync("Minsk");
        await page.Locator("#field-source-0-outlet").FillAsync("U.S. Department of State");
        await page.Locator("#add-event button[type=submit]").ClickAsync();
        await Expect(page.Locator("#error-occurredOn")).ToContainTextAsync("real date");

        await page.Locator("#field-occurredOn").FillAsync("2025-11-01");
        await page.Locator("#add-event button[type=submit]").ClickAsync();
        await Expect(page.Locator("#form-success")).ToBeVisibleAsync();
        await Expect(page.Locator("#error-occurredOn")).ToBeEmptyAsync();
        await Post(Samples.Retraction(await SeededEvent("EmbassyOpened", "2025-11-01", "2025-11-01")));
    }

    [Fact]
    public async Task a_list_field_takes_one_item_per_line_commas_and_all_and_a_400_focuses_the_first_field_in_the_forms_order()
    {
        var page = await host.OpenAsync("/relations/US-BY/add");
        await page.Locator("#field-apiKey").FillAsync(LedgerApp.ApiKey);
        await page.Locator("#field-type").SelectOptionAsync("SanctionsImposed");
        await Expect(page.Locator("#hint-data-measures")).ToContainTextAsync("One per line");
        await page.Locator("#field-occurredOn").FillAsync("2025-11-02");
        await page.Locator("#field-summary").FillAsync("Commerce extends export controls to Belarus (a probe of list fields).");
        await page.Locator("#field-data-imposedBy").FillAsync("US");
        await page.Locator("#field-data-authority").FillAsync("US Commerce Department (BIS)");
        await page.Locator("#field-data-target").FillAsync($"Probe {Guid.NewGuid():N}");
        await page.Locator("#field-data-targetKind").SelectOptionAsync("country");
        // the second item holds a tab (one line only) and the source has no outlet: two errors, the list's first in the form
        await page.Locator("#field-data-measures").FillAsync("export controls extended to Belarus, incl. aircraft and parts\nasset\tblocking");
        await page.Locator("#add-event button[type=submit]").ClickAsync();
        await Expect(page.Locator("#error-data-measures")).ToContainTextAsync("Item 2: Must be one line");
        await Expect(page.Locator("#error-source-0-outlet")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#field-data-measures")).ToBeFocusedAsync();

        await page.Locator("#field-data-measures").FillAsync("  export controls extended to Belarus, incl. aircraft and parts  \n\nasset blocking\n");
        await page.Locator("#field-source-0-outlet").FillAsync("U.S. Department of Commerce");
        await page.Locator("#add-event button[type=submit]").ClickAsync();
        var link = page.Locator("#created-event-link");
        await Expect(link).ToBeVisibleAsync();
        var id = Guid.Parse((await link.GetAttributeAsync("href"))!.Split('/').Last());
        try
        {
            using var http = host.App.Client();
            var measures = JsonNode.Parse(await http.GetStringAsync($"/api/events/{id}", Ct))!["data"]!["measures"]!.AsArray().Select(m => (string)m!);
            Assert.Equal(["export controls extended to Belarus, incl. aircraft and parts", "asset blocking"], measures);
        }
        finally { await Post(Samples.Retraction(id)); }
    }

    [Fact]
    public async Task the_event_page_says_who_recorded_the_event_and_each_correction()
    {
        await WithTheClosureCorrectedToClosed(async _ =>
        {
            var closure = await SeededEvent("EmbassyClosed", "2022-02-28", "2022-02-28");
            var page = await host.OpenAsync($"/events/{closure}");
            await Expect(page.Locator("#event-meta")).ToContainTextAsync("by seed:us-by.ndjson");
            // a writer's name is set apart as a name ("by default" read as a phrase), and the pair is named as the site names it
            await Expect(page.Locator("#event-meta code.writer")).ToHaveTextAsync("seed:us-by.ndjson");
            await Expect(page.Locator("#corrections li.correction").Last.Locator("code.writer")).ToHaveTextAsync("default");
            await Expect(page.Locator("#event-meta")).ToContainTextAsync("US-BY timeline");
            var timeline = await host.OpenAsync("/relations/US-BY/timeline?from=2022-02-28&to=2022-02-28");
            await Expect(timeline.Locator(".item-recorded code.writer").First).ToHaveTextAsync("seed:us-by.ndjson");
            var log = await host.OpenAsync("/log?recordedBy=default");
            await Expect(log.Locator("#log tbody tr td code.writer").First).ToHaveTextAsync("default");
        });
    }

    [Fact]
    public async Task prose_keeps_its_lines_country_codes_stay_codes_and_provenance_links_the_events_it_names()
    {
        var body = Samples.Event("StatementMade", "2025-09-12", new JsonObject { ["by"] = "MFA", ["gist"] = "Gist one\nGist two" }, summary: "First line\nSecond line");
        var id = Guid.Parse((string)(await Post(body))["eventId"]!);
        var retraction = Samples.Retraction(id);
        retraction["data"]!["reason"] = "withdrawn\nby the outlet";
        var retractionId = Guid.Parse((string)(await Post(retraction))["eventId"]!);

        var timeline = await host.OpenAsync("/relations/US-BY/timeline?from=2025-09-12&to=2025-09-12&includeRetracted=true");
        var item = timeline.Locator($"#timeline li[data-event-id='{id}']");
        Assert.Equal("First line\nSecond line", await item.Locator(".item-summary").InnerTextAsync());
        Assert.Equal("Gist one\nGist two", await item.Locator("dd.prose").InnerTextAsync());

        var page = await host.OpenAsync($"/events/{id}");
        Assert.Equal("First line\nSecond line", await page.Locator("#event-summary").InnerTextAsync());
        Assert.Equal("Gist one\nGist two", await page.Locator("#event-data dd.prose").InnerTextAsync());
        var notice = page.Locator("#retraction-notice");
        Assert.Equal("withdrawn\nby the outlet", await notice.Locator("q").InnerTextAsync());
        // the retraction named by its sequence and time is a link to it, and its page links back to the fact
        await notice.Locator($"a[href='/events/{retractionId}']").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/events/{retractionId}$"));
        await Expect(page.Locator($"#event-data a[href='/events/{id}']")).ToHaveTextAsync($"{id}");
        Assert.Equal("withdrawn\nby the outlet", await page.Locator("#event-data dd.prose").InnerTextAsync());

        // a count by nationality's keys are the codes, not words ("Lt")
        var release = await SeededEvent("PrisonersReleased", "2025-09-11", "2025-09-11");
        page = await host.OpenAsync($"/events/{release}");
        var keys = await page.Locator("#event-data dd dt").AllInnerTextsAsync();
        Assert.True(keys.Count > 0 && keys.All(k => Regex.IsMatch(k, "^[A-Z]{2}$")), string.Join(",", keys));
    }

    [Fact]
    public async Task user_text_is_shown_as_text_never_run_as_html()
    {
        var body = Samples.Event("StatementMade", "2025-09-12", summary: "<script>alert(1)</script>");
        body["sources"] = new JsonArray(new JsonObject { ["outlet"] = "<img src=x onerror=alert(2)>", ["title"] = "<b>bold?</b>" });
        var id = Guid.Parse((string)(await Post(body))["eventId"]!);
        foreach (var path in new[] { "/relations/US-BY/timeline?from=2025-09-12&to=2025-09-12", $"/events/{id}" })
        {
            var page = await host.OpenAsync(path);
            var dialogs = 0;
            page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
            await Expect(page.GetByText("<script>alert(1)</script>").First).ToBeVisibleAsync();
            await Expect(page.GetByText("<img src=x onerror=alert(2)>").First).ToBeVisibleAsync();
            Assert.Equal(0, await page.Locator("main script, main img[src=x], main b").CountAsync());
            Assert.Equal(0, dialogs);
        }
        await Post(Samples.Retraction(id));
    }

    [Fact]
    public async Task a_page_open_on_today_updates_within_two_seconds_of_an_append()
    {
        var page = await host.OpenAsync("/relations/US-BY");
        await Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", new Regex("live|open|connected"));
        var before = int.Parse(await page.Locator("#prisoners-total").InnerTextAsync());
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        var release = await Post(Samples.Event("PrisonersReleased", yesterday, new JsonObject { ["releasedBy"] = "BY", ["count"] = 7 }));
        await Expect(page.Locator("#prisoners-total")).ToHaveTextAsync((before + 7).ToString(), new LocatorAssertionsToHaveTextOptions { Timeout = 2000 });
        await Post(Samples.Retraction(Guid.Parse((string)release["eventId"]!), DateTime.UtcNow.ToString("yyyy-MM-dd")));
    }

    [Fact]
    public async Task live_updates_carry_the_tabs_key_and_come_back_after_a_busy_answer()
    {
        var page = await host.OpenAsync("/");
        await page.EvaluateAsync("() => sessionStorage.setItem('relationsledger.apiKey', 'reader-key')");
        var keys = new List<string?>();
        var busy = 1;
        await page.RouteAsync("**/api/relations/*/live", async route =>
        {
            lock (keys) keys.Add(route.Request.Headers.TryGetValue("x-api-key", out var k) ? k : null);
            if (Interlocked.Exchange(ref busy, 0) == 1)
                await route.FulfillAsync(new RouteFulfillOptions
                {
                    Status = 503, ContentType = "application/problem+json", Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                    Body = """{"title":"Too many live streams are open.","status":503}""",
                });
            else await route.ContinueAsync();
        });
        await page.GotoAsync("/relations/US-BY");
        await Expect(page.Locator("#live-status")).ToContainTextAsync("Reconnecting in 1 s… (Too many live streams are open. (HTTP 503))");
        await Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", "live", new LocatorAssertionsToHaveAttributeOptions { Timeout = 5000 });
        lock (keys) Assert.Equal(["reader-key", "reader-key"], keys);

        var before = int.Parse(await page.Locator("#prisoners-total").InnerTextAsync());
        var release = await Post(Samples.Event("PrisonersReleased", DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd"), new JsonObject { ["releasedBy"] = "BY", ["count"] = 3 }));
        await Expect(page.Locator("#prisoners-total")).ToHaveTextAsync((before + 3).ToString(), new LocatorAssertionsToHaveTextOptions { Timeout = 2000 });
        await Post(Samples.Retraction(Guid.Parse((string)release["eventId"]!), DateTime.UtcNow.ToString("yyyy-MM-dd")));
    }

    [Fact]
    public async Task live_updates_refused_for_want_of_a_key_say_where_to_give_it_and_stop_asking()
    {
        var page = await host.OpenAsync("/");
        var asked = 0;
        await page.RouteAsync("**/api/relations/*/live", route =>
        {
            Interlocked.Increment(ref asked);
            return route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 401, ContentType = "application/problem+json", Body = """{"title":"An API key is required.","status":401}""",
            });
        });
        await page.GotoAsync("/relations/US-BY");
        await Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", "error");
        await Expect(page.Locator("#live-status")).ToContainTextAsync("Live updates unavailable: An API key is required. (HTTP 401) — this ledger asks a key for reads too");
        await Task.Delay(2500, Ct);
        Assert.Equal(1, asked);
    }
}
