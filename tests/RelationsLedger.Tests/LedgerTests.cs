using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;
using RelationsLedger.Relations.Replaying;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class LedgerTests(LedgerApp app) : ApiTest(app)
{
    private async Task<Guid> Append(JsonObject body, string pair = "US-BY") =>
        Guid.Parse((string)(await Record(pair, body))["eventId"]!);

    private async Task<JsonObject> State(string asOf, string? knownAt = null, string pair = "US-BY") =>
        await GetJson($"/api/relations/{pair}/state?asOf={asOf}" + (knownAt is null ? "" : $"&knownAt={Uri.EscapeDataString(knownAt)}"));

    [Fact]
    public async Task a_state_row_names_only_its_latest_events_however_long_its_history()
    {
        var batch = new JsonArray(Enumerable.Range(0, 25).Select(i => (JsonNode)Samples.Event("PrisonersReleased", $"2025-01-{i + 1:00}",
            new JsonObject { ["releasedBy"] = "BY", ["count"] = 2 }, Guid.CreateVersion7())).ToArray());
        var ids = batch.Select(e => (string)e!["eventId"]!).ToList();
        var response = await Http.PostAsync("/api/relations/US-BY/events/batch", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var prisoners = (await State("2025-12-31"))["prisonersReleased"]!;
        Assert.Equal((50, 25), ((int)prisoners["total"]!, (int)prisoners["releases"]!));
        Assert.Equal(ids.TakeLast(5), prisoners["eventIds"]!.AsArray().Select(id => (string)id!));
    }

    [Fact]
    public async Task a_state_answer_carries_its_length_however_large()
    {
        // 400 sanctions rows: an answer several times the first buffer it is written into
        var batch = new JsonArray(Enumerable.Range(0, 400).Select(i => (JsonNode)Samples.Event("SanctionsImposed", "2024-05-01",
            new JsonObject { ["imposedBy"] = "US", ["authority"] = "Treasury", ["target"] = $"Entity {i}", ["targetKind"] = "entity", ["measures"] = new JsonArray("asset freeze") })).ToArray());
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/api/relations/US-BY/events/batch", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"), Ct)).StatusCode);
        using var response = await Http.GetAsync("/api/relations/US-BY/state?asOf=2025-12-31", HttpCompletionOption.ResponseHeadersRead, Ct);
        var (length, chunked) = (response.Content.Headers.ContentLength, response.Headers.TransferEncodingChunked);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(body.Length > 100_000, $"{body.Length} bytes");
        Assert.Equal((body.Length, (bool?)null), (length, chunked));
        Assert.Equal(400, System.Text.Json.Nodes.JsonNode.Parse(body)!["sanctions"]!.AsArray().Count);
    }

    [Fact]
    public async Task a_long_batch_is_stored_row_for_row_as_single_appends_are()
    {
        // more events than a write sends with its commit (those go by COPY): every column as the small path writes it
        static JsonObject Fact(int i) => Samples.Event("SanctionsImposed", $"2024-05-{i % 28 + 1:00}",
            new JsonObject { ["imposedBy"] = "US", ["authority"] = "Treasury", ["target"] = $"Entity {i}", ["targetKind"] = "entity", ["measures"] = new JsonArray("asset freeze") });
        var count = 150;
        var batch = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode)Fact(i)).ToArray());
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/api/relations/US-BY/events/batch", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"), Ct)).StatusCode);
        for (var i = 0; i < 3; i++) await Append(Fact(i), "LT-US");

        await using var session = App.Store.QuerySession();
        // per pair: the stored bodies without their ids, and what each row carries beside its body
        var shapes = (await session.QueryAsync<string>(
            """
            select e.stream_id || ' ' || e.version || ' ' || (e.data - 'id')::text || ' ' || e.type || ' ' || e.mt_dotnet_type || ' '
                || (e.correlation_id is not null) || ' ' || jsonb_exists_all(e.headers, array['writer', 'requestId', 'clientAddress']) || ' '
                || ((t.data ->> 'sequence')::bigint = e.seq_id) || ' ' || (t.pair = e.stream_id and t.sequence = e.seq_id and t.effective = (t.data ->> 'effective')::date)
            from ledger.mt_events e join ledger.mt_doc_timelineentry t on t.id = e.id order by e.stream_id = 'LT-US', e.version
            """, Ct)).ToList();
        Assert.Equal(count + 3, shapes.Count);
        var single = shapes.Skip(count).ToList();
        Assert.Equal(single, shapes.Take(3).Select(s => s.Replace("BY-US ", "LT-US ")));
        Assert.All(shapes, s => Assert.EndsWith(" true true true true", s));
        // one transaction: one recorded time for the whole batch
        Assert.Equal(1, await session.QueryAsync<long>("select count(distinct timestamp) from ledger.mt_events where stream_id = 'BY-US'", Ct).ContinueWith(t => t.Result.Single()));
    }

    [Fact]
    public async Task every_event_type_is_appended_and_reflected_in_state()
    {
        foreach (var (type, date) in new[]
        {
            ("EmbassyOpened", "1992-01-01"), ("DiplomatsExpelled", "2008-04-30"), ("AmbassadorExpelled", "2008-03-07"),
            ("AmbassadorRecalled", "2008-03-08"), ("AmbassadorExchangeAgreed", "2019-09-17"), ("AmbassadorNominated", "2020-04-20"),
            ("AmbassadorConfirmed", "2020-12-15"), ("AmbassadorAccredited", "2021-01-15"), ("AgrementWithdrawn", "2021-08-11"),
            ("IncidentOccurred", "2021-05-23"), ("VisaDenied", "2021-06-01"), ("EmbassyClosed", "2022-02-28"),
            ("SanctionsImposed", "2023-08-09"), ("EnvoyAppointed", "2025-05-01"), ("LeadersSpoke", "2025-08-15"),
            ("EnvoyVisited", "2025-09-11"), ("LetterDelivered", "2025-09-11"), ("GiftPresented", "2025-09-11"),
            ("PrisonersReleased", "2025-09-11"), ("StatementMade", "2025-09-11"), ("SanctionsEased", "2025-09-11"),
            ("MilitaryObserversAttended", "2025-09-15"), ("AgreementSigned", "2025-10-01"), ("EmbassyReopened", "2025-11-01"),
            ("SanctionsLifted", "2025-12-01"),
        })
            await Append(Samples.Event(type, date));
        await Append(Samples.Event("SanctionsImposed", "2022-06-16", new JsonObject
        {
            ["imposedBy"] = "US", ["authority"] = "Commerce BIS", ["program"] = "BIS denial order", ["target"] = "Belavia", ["targetKind"] = "entity", ["measures"] = new JsonArray("export denial"),
        }));
        await Append(Samples.Event("SanctionsExpired", "2024-12"));

        var autumn = await State("2025-10-15");
        Assert.Equal("suspended", (string?)autumn["embassies"]![0]!["status"]);
        Assert.Equal(
            ["BY recalled", "US withdrawn"],
            autumn["ambassadors"]!.AsArray().Select(a => $"{a!["ambassadorOf"]} {a["status"]}"));
        Assert.Equal(
            ["BIS denial order expired 2024-12", "E.O. 14038 eased 2025-09-11"],
            autumn["sanctions"]!.AsArray().Select(s => $"{s!["program"]} {s["status"]} {s["since"]}"));
        Assert.Equal("OFAC-12345", (string?)autumn["sanctions"]![1]!["targetId"]);
        Assert.Equal(["Boeing parts and servicing"], autumn["sanctions"]![1]!["easedScope"]!.AsArray().Select(x => (string?)x));
        Assert.Equal(52, (int)autumn["prisonersReleased"]!["total"]!);
        Assert.Equal(6, (int)autumn["prisonersReleased"]!["byNationality"]!["LT"]!);
        Assert.Equal("GiftPresented", (string?)autumn["lastContact"]!["type"]);
        Assert.Equal(25, (int)autumn["eventCount"]!);
        Assert.Equal("2025-10-01", (string?)autumn["lastEventOn"]);

        var winter = await State("2025-12-31");
        Assert.Equal("open", (string?)winter["embassies"]![0]!["status"]);
        Assert.Equal("lifted", (string?)winter["sanctions"]![1]!["status"]);
        Assert.Equal(27, (int)winter["eventCount"]!);
    }

    [Fact]
    public async Task events_appended_out_of_order_give_the_state_of_a_chronological_append()
    {
        var history = new[]
        {
            Samples.Event("EmbassyClosed", "2022-02-28"), Samples.Event("SanctionsImposed", "2023-08-09"),
            Samples.Event("SanctionsEased", "2025-09-11"), Samples.Event("EmbassyReopened", "2025-11-01"),
            Samples.Event("PrisonersReleased", "2025-09-11"), Samples.Event("LeadersSpoke", "2025-08-15"),
        };
        foreach (var e in history) await Append((JsonObject)e.DeepClone(), "US-BY");
        foreach (var e in history.Reverse()) await Append((JsonObject)e.DeepClone(), "US-LT");

        foreach (var asOf in new[] { "2022-03-01", "2024-01-01", "2025-09-11", "2025-12-31" })
        {
            var (chronological, reversed) = (await State(asOf, pair: "US-BY"), await State(asOf, pair: "US-LT"));
            foreach (var section in new[] { "embassies", "sanctions", "prisonersReleased", "eventCount", "lastEventOn" })
                Assert.True(JsonNode.DeepEquals(Without(chronological[section], "eventIds"), Without(reversed[section], "eventIds")), $"{section} as of {asOf}");
            Assert.Equal((string?)chronological["lastContact"]?["type"], (string?)reversed["lastContact"]?["type"]);
        }
    }

    private static JsonNode? Without(JsonNode? node, string key)
    {
        var copy = node?.DeepClone();
        foreach (var o in copy is JsonArray a ? a.OfType<JsonObject>() : copy is JsonObject single ? [single] : []) o.Remove(key);
        return copy;
    }

    [Fact]
    public async Task a_correction_changes_the_past_for_every_date_but_not_for_a_knownAt_before_it_was_recorded()
    {
        var visit = await Append(Samples.Event("EnvoyVisited", "2025-09-11", new JsonObject
        {
            ["envoy"] = "John Cole", ["envoyOf"] = "US", ["city"] = "Minsk", ["metWith"] = new JsonArray("Alexander Lukashenko"),
        }));
        var receipt = await Record("US-BY", Samples.Correction(visit, new JsonObject { ["data"] = new JsonObject { ["envoy"] = "John Coale" } }));
        var correctedAt = DateTimeOffset.Parse((string)receipt["recordedAt"]!);

        var timeline = await GetJson("/api/relations/US-BY/timeline");
        var row = Assert.Single(timeline["events"]!.AsArray())!;
        Assert.Equal(("John Coale", true), ((string?)row["data"]!["envoy"], (bool)row["corrected"]!));

        var before = await GetJson($"/api/relations/US-BY/timeline?knownAt={Uri.EscapeDataString(correctedAt.AddTicks(-10).ToString("O"))}");
        Assert.Equal(("John Cole", false), ((string?)before["events"]![0]!["data"]!["envoy"], (bool)before["events"]![0]!["corrected"]!));

        var history = await GetJson($"/api/events/{visit}");
        Assert.Equal("John Coale", (string?)history["data"]!["envoy"]);
        Assert.Equal("John Cole", (string?)history["original"]!["data"]!["envoy"]);
        var correction = Assert.Single(history["corrections"]!.AsArray())!;
        Assert.Equal(correctedAt, DateTimeOffset.Parse((string)correction["recordedAt"]!));
    }

    [Fact]
    public async Task a_state_as_known_at_a_moment_stays_what_was_known_then_while_the_pair_grows_and_each_moment_answers_its_own()
    {
        async Task<DateTimeOffset> Released(string on, int count) => DateTimeOffset.Parse((string)(await Record("US-BY",
            Samples.Event("PrisonersReleased", on, new JsonObject { ["releasedBy"] = "BY", ["count"] = count })))["recordedAt"]!);
        async Task<int> Total(string asOf, DateTimeOffset knownAt) => (int)(await State(asOf, knownAt.ToString("O")))["prisonersReleased"]!["total"]!;
        var first = await Released("2020-01-01", 1);
        var backdated = await Released("2010-01-01", 10);
        await Released("2015-01-01", 100);
        // as known once the first release was recorded, at several dates (the first read builds that moment's history)
        Assert.Equal((0, 1, 1), (await Total("2012-01-01", first), await Total("2020-06-01", first), await Total("2025-12-31", first)));
        // as known once the backdated one was: its own answers, not the first moment's
        Assert.Equal((10, 11, 11), (await Total("2012-01-01", backdated), await Total("2020-06-01", backdated), await Total("2025-12-31", backdated)));
        // the pair grows; the moments still answer what they knew (a later instant between the same two records, too)
        await Released("2005-01-01", 1000);
        Assert.Equal((0, 1), (await Total("2012-01-01", first), await Total("2025-12-31", first.AddTicks(5))));
        Assert.Equal((10, 11), (await Total("2012-01-01", backdated), await Total("2025-12-31", backdated)));
        Assert.Equal(1111, (int)(await State("2025-12-31"))["prisonersReleased"]!["total"]!);
        // a receipt's recordedAt pasted into a query as it is ("+00:00" unescaped arrives as " 00:00"), on every read that takes knownAt
        var pasted = backdated.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz");
        Assert.EndsWith("+00:00", pasted);
        foreach (var read in new[] { "state?asOf=2012-01-01&", "timeline?", "diff?from=2000-01-01&to=2012-01-01&", "series?" })
        {
            var escaped = await GetJson($"/api/relations/US-BY/{read}knownAt={Uri.EscapeDataString(pasted)}");
            Assert.True(JsonNode.DeepEquals(escaped, await GetJson($"/api/relations/US-BY/{read}knownAt={pasted}")), read);
        }
        Assert.Equal(10, (int)(await GetJson($"/api/relations/US-BY/state?asOf=2012-01-01&knownAt={pasted}"))["prisonersReleased"]!["total"]!);
    }

    [Fact]
    public async Task the_timeline_read_model_shows_what_resolving_the_stream_shows_for_corrected_retracted_and_disputed_facts()
    {
        var ids = new List<Guid>();
        foreach (var (type, day) in new[] { ("EnvoyVisited", "2025-09-11"), ("PrisonersReleased", "2025-09-11"), ("LeadersSpoke", "2025-08-15"), ("EmbassyClosed", "2022-02-28") })
            ids.Add(await Append(Samples.Event(type, day)));
        await Append(Samples.Correction(ids[0], new JsonObject { ["summary"] = "reworded", ["occurredOn"] = "2025-09-10" }));
        await Append(Samples.Correction(ids[3], new JsonObject { ["occurredOn"] = "2022-03" }));
        await Append(Samples.Retraction(ids[1]));
        await Append(Samples.Citation(ids[2]));

        // the rows keep a body only for the two corrected facts; the other two are read from the event table
        var rows = await GetJson("/api/relations/US-BY/timeline?includeRetracted=true");
        var resolved = await GetJson($"/api/relations/US-BY/timeline?includeRetracted=true&knownAt={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("O"))}");
        // to the byte, the data's fields in the catalog's order (jsonb orders an object's keys by length: the row keeps
        // its data as a string), and the CSV as well
        Assert.Equal(resolved["events"]!.ToJsonString(), rows["events"]!.ToJsonString());
        var knownNow = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("O"));
        Assert.Equal(await Http.GetStringAsync($"/api/relations/US-BY/timeline?includeRetracted=true&format=csv&knownAt={knownNow}", Ct),
            await Http.GetStringAsync("/api/relations/US-BY/timeline?includeRetracted=true&format=csv", Ct));
        // rows written before, their data an object, read as ever
        async Task<IReadOnlyList<string>> Kinds()
        {
            await using var session = App.Store.QuerySession();
            return await session.QueryAsync<string>("select jsonb_typeof(data->'data') from ledger.mt_doc_timelineentry where data->>'summary' is not null", Ct);
        }
        Assert.Equal(["string", "string"], await Kinds());
        await App.ExecuteAsync("update ledger.mt_doc_timelineentry set data = jsonb_set(data, '{data}', (data->>'data')::jsonb) where data ? 'summary'", Ct);
        Assert.Equal(["object", "object"], await Kinds());
        Assert.True(JsonNode.DeepEquals(resolved["events"], (await GetJson("/api/relations/US-BY/timeline?includeRetracted=true"))["events"]));
        Assert.Equal(["2022-03", "2025-08-15", "2025-09-10", "2025-09-11"], rows["events"]!.AsArray().Select(e => (string?)e!["occurredOn"]));
        Assert.Equal("reworded", (string?)rows["events"]![2]!["summary"]);
        Assert.Equal([true, false, true, false], rows["events"]!.AsArray().Select(e => (bool)e!["corrected"]!));
        Assert.Equal([false, true, false, false], rows["events"]!.AsArray().Select(e => (bool)e!["disputed"]!));
        Assert.Equal([false, false, false, true], rows["events"]!.AsArray().Select(e => (bool)e!["retracted"]!));
    }

    [Fact]
    public async Task a_retracted_event_drops_out_of_state_from_the_moment_the_retraction_is_recorded()
    {
        await Append(Samples.Event("PrisonersReleased", "2025-06-21", new JsonObject { ["releasedBy"] = "BY", ["count"] = 14 }));
        var release = await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        var before = await State("2025-12-31");
        var retraction = await Record("US-BY", Samples.Retraction(release));
        var retractedAt = (string)retraction["recordedAt"]!;

        Assert.Equal(14, (int)(await State("2025-12-31"))["prisonersReleased"]!["total"]!);
        Assert.Equal(66, (int)(await State("2025-12-31", DateTimeOffset.Parse(retractedAt).AddTicks(-10).ToString("O")))["prisonersReleased"]!["total"]!);
        Assert.Equal(66, (int)before["prisonersReleased"]!["total"]!);
        Assert.Equal(14, (int)(await State("2025-12-31", retractedAt))["prisonersReleased"]!["total"]!);

        Assert.Single((await GetJson("/api/relations/US-BY/timeline"))["events"]!.AsArray());
        var all = await GetJson("/api/relations/US-BY/timeline?includeRetracted=true");
        Assert.Equal([false, true], all["events"]!.AsArray().Select(e => (bool)e!["retracted"]!));
        var flagged = await GetJson($"/api/events/{release}");
        Assert.True((bool)flagged["retracted"]!);
        Assert.Equal("the report was withdrawn", (string?)flagged["retractionReason"]);
    }

    [Fact]
    public async Task a_basis_pins_a_read_to_what_was_recorded_up_to_that_sequence()
    {
        var first = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        await Append(Samples.Event("EmbassyReopened", "2025-11-01"));
        var pinned = await GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&basis={first["sequence"]}");
        Assert.Equal("suspended", (string?)pinned["embassies"]![0]!["status"]);
        Assert.Equal((long)first["sequence"]!, (long)pinned["basis"]!["sequence"]!);
        Assert.Equal("open", (string?)(await State("2025-12-31"))["embassies"]![0]!["status"]);
        // with no replica, pinned reads at other dates answer from the pair's cached histories, as reads at an instant do
        var response = await Http.GetAsync($"/api/relations/US-BY/state?asOf=2022-01-01&basis={first["sequence"]}", Ct);
        Assert.Equal("primary", response.Headers.GetValues("X-Read-Source").Single());
        Assert.Empty(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["embassies"]!.AsArray());
        var reopened = (long)(await State("2025-12-31"))["basis"]!["sequence"]!;
        Assert.Equal("open", (string?)(await GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&basis={reopened}"))["embassies"]![0]!["status"]);
        Assert.Equal("suspended", (string?)(await GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&basis={first["sequence"]}"))["embassies"]![0]!["status"]);
    }

    [Fact]
    public async Task a_target_spelled_with_other_spacing_is_one_register_row_as_recorded_and_as_corrected()
    {
        static JsonObject Data(string type, string target)
        {
            var data = Samples.Data[type].DeepClone().AsObject();
            data["target"] = target;
            return data;
        }
        static IEnumerable<string> Rows(JsonObject register) => register["sanctions"]!.AsArray().Select(s => $"{s!["target"]} {s["status"]}");
        var imposed = await Append(Samples.Event("SanctionsImposed", "2023-08-09", Data("SanctionsImposed", " Belavia\u00A0 Airlines ")));
        Assert.Equal("Belavia Airlines", (string?)(await GetJson($"/api/events/{imposed}"))["data"]!["target"]);
        await Append(Samples.Event("SanctionsEased", "2025-09-11", Data("SanctionsEased", "Belavia  Airlines")));
        Assert.Equal(["Belavia Airlines eased"], Rows(await GetJson("/api/sanctions?asOf=2025-12-31")));
        // a correction's patch is read and recorded spaced as well: other spacing alone changes nothing, and a new
        // name reads spaced where the fold applies the patch as recorded
        var same = await Http.PostAsJsonAsync("/api/relations/US-BY/events",
            Samples.Correction(imposed, new JsonObject { ["data"] = new JsonObject { ["target"] = "Belavia\u2007Airlines\u3000" } }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.Contains("Changes nothing", await same.Content.ReadAsStringAsync(Ct));
        await Append(Samples.Correction(imposed, new JsonObject { ["data"] = new JsonObject { ["target"] = "Belavia  Belarusian Airlines" } }));
        Assert.Equal("Belavia Belarusian Airlines", (string?)(await GetJson($"/api/events/{imposed}"))["data"]!["target"]);
        Assert.Contains("Belavia Belarusian Airlines active", Rows(await GetJson("/api/sanctions?asOf=2024-01-01")));
    }

    [Fact]
    public async Task a_basis_pins_the_chart_series_and_the_sanctions_register_as_it_pins_state()
    {
        var first = await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09"));
        await Append(Samples.Event("SanctionsEased", "2025-09-11"));
        await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        static IEnumerable<string> Points(JsonObject series) =>
            series["points"]!.AsArray().Select(p => $"{p!["date"]} {p["sanctions"]!["active"]}/{p["sanctions"]!["eased"]} {p["prisonersReleased"]}");
        static IEnumerable<string> Rows(JsonObject register) => register["sanctions"]!.AsArray().Select(s => $"{s!["target"]} {s["status"]}");

        Assert.Equal(["2023-08-09 1/0 0", "2025-09-11 0/1 52"], Points(await GetJson("/api/relations/US-BY/series")));
        Assert.Equal(["2023-08-09 1/0 0"], Points(await GetJson($"/api/relations/US-BY/series?basis={first["sequence"]}")));
        Assert.Equal(["Belavia eased"], Rows(await GetJson("/api/sanctions?asOf=2025-12-31")));
        Assert.Equal(["Belavia active"], Rows(await GetJson($"/api/sanctions?asOf=2025-12-31&basis={first["sequence"]}")));
        // parsed as the state's: a basis that is not a sequence, or beside a knownAt, is a 400 naming it
        foreach (var url in new[] { "/api/relations/US-BY/series", "/api/sanctions" })
        {
            foreach (var query in new[] { "?basis=first", $"?basis={first["sequence"]}&knownAt=2025-01-01" })
            {
                var response = await Http.GetAsync(url + query, Ct);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.NotNull((await ProblemOf(response))["errors"]!["basis"]);
            }
        }
    }

    [Fact]
    public async Task a_disputing_source_flags_the_event_and_is_listed_with_its_stance()
    {
        var release = await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        await Append(Samples.Citation(release, "disputes"));
        var row = (await GetJson("/api/relations/US-BY/timeline"))["events"]![0]!;
        Assert.True((bool)row["disputed"]!);
        var view = await GetJson($"/api/events/{release}");
        Assert.Equal(["supports Reuters", "disputes Pozirk"], view["sources"]!.AsArray().Select(s => $"{s!["stance"]} {s["source"]!["outlet"]}"));
    }

    [Fact]
    public async Task a_repeated_event_id_with_the_same_body_answers_the_original_201_and_another_body_is_409()
    {
        var id = Guid.NewGuid();
        var first = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28", eventId: id));
        var again = await Record("by-us", Samples.Event("EmbassyClosed", "2022-02-28", eventId: id));
        Assert.True(JsonNode.DeepEquals(first, again));
        Assert.Equal(1, await App.EventCountAsync());

        var different = await PostEvent("US-BY", Samples.Event("EmbassyClosed", "2022-03-01", eventId: id));
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        await ProblemOf(different);
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_batch_sent_again_answers_its_receipts_in_the_order_sent_and_the_same_ids_in_another_pair_are_409()
    {
        var events = new[] { Samples.Event("EmbassyClosed", "2022-02-28", eventId: Guid.NewGuid()), Samples.Event("EmbassyReopened", "2024-05-01", eventId: Guid.NewGuid()) };
        async Task<HttpResponseMessage> Send(string pair, IEnumerable<JsonObject> batch) =>
            await Http.PostAsync($"/api/relations/{pair}/events/batch", new StringContent(new JsonArray([.. batch.Select(e => (JsonNode)e.DeepClone())]).ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        var first = JsonNode.Parse(await (await Send("US-BY", events)).Content.ReadAsStringAsync(Ct))!["events"]!.AsArray();
        var reversed = await Send("US-BY", events.Reverse());
        Assert.Equal(HttpStatusCode.Created, reversed.StatusCode);
        var again = JsonNode.Parse(await reversed.Content.ReadAsStringAsync(Ct))!["events"]!.AsArray();
        Assert.True(JsonNode.DeepEquals(new JsonArray(first[1]!.DeepClone(), first[0]!.DeepClone()), again), again.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, (await Send("LT-US", events)).StatusCode);
        Assert.Equal(2, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_stale_expected_version_is_409_and_appends_nothing()
    {
        var first = Samples.Event("EmbassyClosed", "2022-02-28");
        first["expectedVersion"] = 0;
        Assert.Equal(1, (long)(await Record("US-BY", first))["version"]!);

        var stale = Samples.Event("EmbassyReopened", "2025-11-01");
        stale["expectedVersion"] = 0;
        var conflict = await PostEvent("US-BY", stale);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        await ProblemOf(conflict);

        var viaHeader = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(Samples.Event("EmbassyReopened", "2025-11-01")) };
        viaHeader.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.Conflict, (await Http.SendAsync(viaHeader, Ct)).StatusCode);
        Assert.Equal(1, await App.EventCountAsync());

        var current = Samples.Event("EmbassyReopened", "2025-11-01");
        current["expectedVersion"] = 1;
        Assert.Equal(2, (long)(await Record("US-BY", current))["version"]!);
    }

    [Fact]
    public async Task a_batch_is_all_or_nothing_with_errors_per_item()
    {
        var good = Samples.Event("EmbassyClosed", "2022-02-28");
        var bad = Samples.Event("EmbassyReopened", "2025-02-30");
        var response = await Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", new[] { good, bad }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemOf(response);
        Assert.NotNull(problem["errors"]!["[1].occurredOn"]);
        Assert.Equal(0, await App.EventCountAsync());
        // an error is keyed by the item that makes it: the second copy of an id, the item that gives a version
        var twice = Guid.NewGuid();
        var versioned = Samples.Event("EmbassyReopened", "2025-02-03");
        versioned["expectedVersion"] = 0;
        foreach (var (items, key) in new[]
                 {
                     (new[] { Samples.Event("EmbassyClosed", "2022-02-28", eventId: twice), Samples.Event("EmbassyReopened", "2025-02-03", eventId: twice) }, "[1].eventId"),
                     (new[] { good, versioned }, "[1].expectedVersion"),
                 })
        {
            var refused = await ProblemOf(await Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", items, Ct));
            Assert.Equal([key], refused["errors"]!.AsObject().Select(kv => kv.Key));
            Assert.Equal("The batch has invalid events; nothing was recorded.", (string)refused["title"]!);
        }
        // every failing field at once: a repeated id beside another item's problem
        var repeated = Samples.Event("EmbassyClosed", "2022-02-28", eventId: twice);
        var every = await ProblemOf(await Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", new[] { repeated, bad, repeated }, Ct));
        Assert.Equal(["[1].occurredOn", "[2].eventId"], every["errors"]!.AsObject().Select(kv => kv.Key).Order());
        Assert.Equal(0, await App.EventCountAsync());

        var id = Guid.NewGuid();
        var batch = new JsonArray(Samples.Event("EnvoyVisited", "2025-09-11", eventId: id), Samples.Citation(id), Samples.Event("PrisonersReleased", "2025-09-11"));
        var created = await Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", batch, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var receipts = JsonNode.Parse(await created.Content.ReadAsStringAsync(Ct))!["events"]!.AsArray();
        Assert.Equal([1L, 2L, 3L], receipts.Select(r => (long)r!["version"]!));
        Assert.Equal(3, await App.EventCountAsync());
    }

    [Theory]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2025-02-30","summary":"s","data":{"embassyOf":"US","city":"Minsk","mode":"suspended"},"sources":[{"outlet":"x"}]}""", "occurredOn")]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2022-02-28","summary":"s","data":{"embassyOf":"US","city":"Minsk","mode":"suspended","colour":"red"},"sources":[{"outlet":"x"}]}""", "data.colour")]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2022-02-28","summary":"s","data":{"embassyOf":"QQ","city":"Minsk","mode":"suspended"},"sources":[{"outlet":"x"}]}""", "data.embassyOf")]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2022-02-28","summary":"s","data":{"embassyOf":"US","city":"Minsk","mode":"suspended"},"sources":[]}""", "sources")]
    [InlineData("""{"type":"EventCorrected","occurredOn":"2022-02-28","summary":"s","data":{"correctsEventId":"8d2f2b4e-8f0a-4a57-9a38-6a9d3c2f6b11","patch":{"summary":"t"},"reason":"r"},"sources":[{"outlet":"x"}]}""", "data.correctsEventId")]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2022-02-28","summary":"s","data":{"embassyOf":"US","city":"Minsk","mode":"suspended"},"sources":[{"outlet":"x","url":"javascript:alert(1)"}]}""", "sources[0].url")]
    [InlineData("""{"type":"EmbassyClosed","occurredOn":"2022-02-28","summary":"\ud800","data":{"embassyOf":"US","city":"Minsk","mode":"suspended"},"sources":[{"outlet":"x"}]}""", "summary")]
    public async Task each_kind_of_bad_input_is_a_400_naming_the_field_and_appends_nothing(string body, string field)
    {
        var response = await Http.PostAsync("/api/relations/US-BY/events", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemOf(response);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_correction_that_would_make_the_event_invalid_is_refused()
    {
        var visit = await Append(Samples.Event("EnvoyVisited", "2025-09-11"));
        var response = await PostEvent("US-BY", Samples.Correction(visit, new JsonObject { ["data"] = new JsonObject { ["envoyOf"] = "ZZ" } }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ProblemOf(response))["errors"]!["data.patch.data.envoyOf"]);
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_pair_with_no_events_has_an_empty_state_and_an_unknown_event_is_404()
    {
        var empty = await State("2025-01-01", pair: "US-LT");
        Assert.Equal(0, (int)empty["eventCount"]!);
        Assert.Empty(empty["embassies"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/events/{Guid.NewGuid()}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/relations/US-BY/state?asOf=2025-02-30", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/relations/US-BY/state?knownAt=yesterday", Ct)).StatusCode);
    }

    [Fact]
    public async Task the_timeline_filters_by_type_and_date_and_pages_with_a_next_link()
    {
        foreach (var day in Enumerable.Range(1, 5)) await Append(Samples.Event("LeadersSpoke", $"2025-01-0{day}"));
        await Append(Samples.Event("EmbassyClosed", "2025-01-03"));

        var page = await GetJson("/api/relations/US-BY/timeline?types=LeadersSpoke&from=2025-01-02&limit=2");
        Assert.Equal(["2025-01-02", "2025-01-03"], page["events"]!.AsArray().Select(e => (string?)e!["occurredOn"]));
        var next = await GetJson((string)page["next"]!);
        Assert.Equal(["2025-01-04", "2025-01-05"], next["events"]!.AsArray().Select(e => (string?)e!["occurredOn"]));
        Assert.Null(next["next"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/relations/US-BY/timeline?types=Nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/relations/US-BY/timeline?limit=10001", Ct)).StatusCode);
    }

    [Fact]
    public async Task a_timeline_filtered_by_a_type_it_never_lists_is_a_400_naming_the_types_it_lists()
    {
        var fact = await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await Append(Samples.Correction(Guid.Parse((string)fact["eventId"]!), new JsonObject { ["summary"] = "52 freed" }));
        // corrections, retractions and citations are applied to the facts they name, never rows of their own
        string[] provenance = ["EventCorrected", "EventRetracted", "SourceCited"];
        foreach (var type in provenance)
        {
            foreach (var knowledge in new[] { "", $"&basis={fact["sequence"]}" })
            {
                var response = await Http.GetAsync($"/api/relations/US-BY/timeline?types=PrisonersReleased,{type}{knowledge}", Ct);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var messages = (await ProblemOf(response))["errors"]!["types"]!.AsArray().Select(m => (string)m!).ToList();
                Assert.Equal(2, messages.Count);
                Assert.StartsWith($"'{type}' is not listed in a timeline", messages[0]);
                Assert.StartsWith("A timeline lists: ", messages[1]);
                Assert.Contains("PrisonersReleased", messages[1]);
                Assert.All(provenance, p => Assert.DoesNotContain(p, messages[1]));
            }
        }
        var unknown = await Http.GetAsync("/api/relations/US-BY/timeline?types=Nope", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("Unknown event type 'Nope'.", (string)(await ProblemOf(unknown))["errors"]!["types"]![0]!);
    }

    [Fact]
    public async Task a_timeline_from_after_to_is_a_400_as_the_diff_is()
    {
        await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        var timeline = await Http.GetAsync("/api/relations/US-BY/timeline?from=2025-12-31&to=2025-01-01", Ct);
        var diff = await Http.GetAsync("/api/relations/US-BY/diff?from=2025-12-31&to=2025-01-01", Ct);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (timeline.StatusCode, diff.StatusCode));
        var errors = (await ProblemOf(timeline))["errors"]!;
        Assert.Equal("to: Must not be before 'from'.", string.Join("; ", errors.AsObject().Select(e => $"{e.Key}: {string.Join(" ", e.Value!.AsArray())}")));
        Assert.True(JsonNode.DeepEquals((await ProblemOf(diff))["errors"], errors));
        // one day is a period
        Assert.Single((await GetJson("/api/relations/US-BY/timeline?from=2025-09-11&to=2025-09-11"))["events"]!.AsArray());
    }

    [Fact]
    public async Task the_next_pages_read_the_pair_as_the_first_did_so_writes_between_pages_neither_repeat_nor_skip_events()
    {
        var ids = new List<Guid>();
        foreach (var year in new[] { 2010, 2011, 2012, 2013 })
            ids.Add(await Append(Samples.Event("LeadersSpoke", $"{year}-06-01")));
        var first = await GetJson("/api/relations/US-BY/timeline?limit=2");
        // between the pages: the first page's first fact moves after the cursor, the last one before it, and a fact is backdated
        await Append(Samples.Correction(ids[0], new JsonObject { ["occurredOn"] = "2014-06-01" }));
        await Append(Samples.Correction(ids[3], new JsonObject { ["occurredOn"] = "2009-06-01" }));
        await Append(Samples.Event("LeadersSpoke", "2008-06-01"));

        var second = await GetJson((string)first["next"]!);
        var seen = first["events"]!.AsArray().Concat(second["events"]!.AsArray()).Select(e => Guid.Parse((string)e!["eventId"]!)).ToList();
        Assert.Equal(ids, seen);
        Assert.Null(second["next"]);
        // a new first page reads the pair as it is now
        Assert.Equal(["2008-06-01", "2009-06-01"], (await GetJson("/api/relations/US-BY/timeline?limit=2"))["events"]!.AsArray().Select(e => (string?)e!["occurredOn"]));
    }

    [Fact]
    public async Task the_diff_lists_what_changed_between_two_dates_with_the_events_that_caused_it()
    {
        await Append(Samples.Event("SanctionsImposed", "2023-08-09"));
        var eased = await Append(Samples.Event("SanctionsEased", "2025-09-11"));
        var receipt = await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        var release = Guid.Parse((string)receipt["eventId"]!);
        var diff = await GetJson("/api/relations/US-BY/diff?from=2025-01-01&to=2025-12-31");
        var changes = diff["changes"]!.AsArray();
        // as known once the release was recorded: the newest diff; a moment before: without the release
        var recordedAt = DateTimeOffset.Parse((string)receipt["recordedAt"]!);
        async Task<JsonNode> KnownAt(DateTimeOffset at) =>
            (await GetJson($"/api/relations/US-BY/diff?from=2025-01-01&to=2025-12-31&knownAt={Uri.EscapeDataString(at.ToString("O"))}"))["changes"]!;
        Assert.True(JsonNode.DeepEquals(changes, await KnownAt(recordedAt)));
        Assert.DoesNotContain((await KnownAt(recordedAt.AddTicks(-10))).AsArray(), c => (string?)c!["section"] == "prisonersReleased");
        var sanction = changes.Single(c => (string?)c!["section"] == "sanctions")!;
        Assert.Equal(("active", "eased"), ((string?)sanction["before"]!["status"], (string?)sanction["after"]!["status"]));
        Assert.Equal([eased], sanction["eventIds"]!.AsArray().Select(x => Guid.Parse((string)x!)));
        Assert.Equal([release], changes.Single(c => (string?)c!["section"] == "prisonersReleased")!["eventIds"]!.AsArray().Select(x => Guid.Parse((string)x!)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/relations/US-BY/diff?from=2025-12-31&to=2025-01-01", Ct)).StatusCode);
    }

    [Fact]
    public async Task the_sanctions_register_spans_pairs_and_filters_by_issuer_and_status()
    {
        await Append(Samples.Event("SanctionsImposed", "2023-08-09"));
        await Append(Samples.Event("SanctionsEased", "2025-09-11"));
        await Append(Samples.Event("SanctionsImposed", "2021-06-01", new JsonObject
        {
            ["imposedBy"] = "EU", ["authority"] = "Council", ["target"] = "Belavia", ["targetKind"] = "entity", ["measures"] = new JsonArray("airspace ban"),
        }), "EU-BY");
        var all = await GetJson("/api/sanctions?asOf=2025-12-31");
        Assert.Equal(["BY-EU EU active", "BY-US US eased"], all["sanctions"]!.AsArray().Select(s => $"{s!["pair"]} {s["imposedBy"]} {s["status"]}"));
        var eased = await GetJson("/api/sanctions?asOf=2025-12-31&imposedBy=US&status=eased");
        Assert.Single(eased["sanctions"]!.AsArray());
        var earlier = await GetJson("/api/sanctions?asOf=2024-01-01&status=eased");
        Assert.Empty(earlier["sanctions"]!.AsArray());
    }

    [Fact]
    public async Task a_sanctions_row_reads_the_same_in_the_state_the_diff_and_the_register_its_unknowns_null()
    {
        // no program and no target id: unknown, so null in every answer, not left out of some
        await Append(Samples.Event("SanctionsImposed", "2021-06-01", new JsonObject
        {
            ["imposedBy"] = "US", ["authority"] = "Treasury OFAC", ["target"] = "Belavia", ["targetKind"] = "entity", ["measures"] = new JsonArray("SDN listing"),
        }));
        var row = Assert.Single((await GetJson("/api/relations/US-BY/state?asOf=2022-01-01"))["sanctions"]!.AsArray())!.AsObject();
        Assert.True(row.ContainsKey("program") && row["program"] is null && row.ContainsKey("targetId") && row["targetId"] is null, row.ToJsonString());
        var registered = Assert.Single((await GetJson("/api/sanctions?asOf=2022-01-01"))["sanctions"]!.AsArray())!.AsObject().DeepClone().AsObject();
        Assert.Equal("BY-US", (string?)registered["pair"]);
        registered.Remove("pair");
        Assert.True(JsonNode.DeepEquals(row, registered), $"{row.ToJsonString()}\n{registered.ToJsonString()}");
        var added = Assert.Single((await GetJson("/api/relations/US-BY/diff?from=2021-01-01&to=2022-01-01"))["changes"]!.AsArray())!;
        Assert.True(JsonNode.DeepEquals(row, added["after"]), $"{row.ToJsonString()}\n{added["after"]!.ToJsonString()}");
    }

    [Fact]
    public async Task the_register_takes_a_pairs_caught_up_summary_for_a_date_after_its_last_fact_and_folds_otherwise()
    {
        await Append(Samples.Event("SanctionsImposed", "2023-08-09"));
        var eased = DateTimeOffset.Parse((string)(await Record("US-BY", Samples.Event("SanctionsEased", "2025-09-11")))["recordedAt"]!);
        await App.WaitForProjectionsAsync();
        // the stored summary marked, so each answer shows where it came from
        async Task Stored(string set) => await App.ExecuteAsync($"update {App.Store.Options.DatabaseSchemaName}.mt_doc_relationshipsummary set {set} where id = 'BY-US'", Ct);
        await Stored("data = replace(data::text, '\"status\": \"Eased\"', '\"status\": \"Lifted\"')::jsonb");
        async Task<string> Status(string query) => string.Join(",", (await GetJson($"/api/sanctions?{query}"))["sanctions"]!.AsArray().Select(s => (string)s!["status"]!));
        Assert.Equal("lifted", await Status("asOf=2025-12-31"));
        Assert.Equal("lifted", await Status("asOf=2025-09-11&imposedBy=US"));
        // as known once the pair's newest event was recorded: every event it folded was known then
        string KnownAt(DateTimeOffset at) => "asOf=2025-12-31&knownAt=" + Uri.EscapeDataString(at.ToString("O"));
        Assert.Equal("lifted", await Status(KnownAt(eased)));
        Assert.Equal("lifted", await Status(KnownAt(eased.AddHours(1).ToOffset(TimeSpan.FromHours(2)))));
        // before the pair's last fact, or known before the newest event was recorded (in another zone's notation): the fold
        Assert.Equal("active", await Status("asOf=2025-09-10"));
        Assert.Equal("active", await Status(KnownAt(eased.AddTicks(-10).ToOffset(TimeSpan.FromHours(-5)))));
        // pinned by a basis at or past the pair's newest event: the summary; below it, the fold
        var newest = (long)(await GetJson("/api/relations/US-BY/state"))["basis"]!["sequence"]!;
        Assert.Equal("lifted", await Status($"asOf=2025-12-31&basis={newest}"));
        Assert.Equal("active", await Status($"asOf=2025-12-31&basis={newest - 1}"));
        // a summary that does not say when its newest event was recorded (stored before it was kept): the fold
        await Stored("last_recorded = null");
        Assert.Equal("eased", await Status(KnownAt(eased)));
        Assert.Equal("lifted", await Status("asOf=2025-12-31"));
        // a summary behind its pair's newest event: the fold
        await Stored("sequence = sequence - 1");
        Assert.Equal("eased", await Status("asOf=2025-12-31"));
    }

    [Fact]
    public async Task the_register_applies_corrections_and_retractions_of_measures_among_a_pairs_other_facts()
    {
        // the register reads each pair's sanctions facts and provenance only: what other facts and their provenance do
        // must not reach it, and what provenance does to a measure must
        var imposed = await Append(Samples.Event("SanctionsImposed", "2021-06-01"));
        await Append(Samples.Event("EmbassyClosed", "2022-02-28"));
        var other = await Append(Samples.Event("SanctionsImposed", "2022-03-01", new JsonObject
        {
            ["imposedBy"] = "US", ["authority"] = "BIS", ["target"] = "Grodno Azot", ["targetKind"] = "entity", ["measures"] = new JsonArray("export ban"),
        }));
        var visit = await Append(Samples.Event("EnvoyVisited", "2025-09-11"));
        await Append(Samples.Correction(imposed, new JsonObject { ["data"] = new JsonObject { ["target"] = "Belavia Airlines" }, ["occurredOn"] = "2023-01-01" }));
        await Append(Samples.Retraction(other));
        await Append(Samples.Retraction(visit));
        static IEnumerable<string> Rows(JsonObject register) =>
            register["sanctions"]!.AsArray().Select(s => $"{s!["target"]} {s["status"]} {s["since"]}");
        Assert.Equal(["Belavia Airlines active 2023-01-01"], Rows(await GetJson("/api/sanctions?asOf=2025-12-31")));
        Assert.Empty(Rows(await GetJson("/api/sanctions?asOf=2022-12-31")));
        var csv = await (await Http.GetAsync("/api/sanctions?asOf=2025-12-31&format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Equal(2, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"Belavia Airlines\"", csv);
    }

    [Fact]
    public async Task the_relations_list_shows_each_pair_once_the_summary_projection_catches_up()
    {
        await Append(Samples.Event("EmbassyClosed", "2022-02-28"));
        await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        await Append(Samples.Event("EmbassyOpened", "1992-01-01"), "LT-BY");
        await App.WaitForProjectionsAsync();
        async Task<List<string>> Listed() => [.. (await GetJson("/api/relations"))["relations"]!.AsArray()
            .Select(r => $"{r!["pair"]} {r["eventCount"]} {r["firstEventOn"]} {r["lastEventOn"]} {r["sequence"]}")];
        var listed = await Listed();
        Assert.Equal(["BY-LT 1 1992-01-01 1992-01-01", "BY-US 2 2022-02-28 2025-09-11"], listed.Select(l => l[..l.LastIndexOf(' ')]));
        // the listing reads the summaries' columns; a summary stored before they existed answers from its JSON
        await using (var session = App.Store.QuerySession())
            Assert.Equal(listed, await session.QueryAsync<string>(
                "select concat_ws(' ', id, event_count, first_on, last_on, sequence) from ledger.mt_doc_relationshipsummary order by id", Ct));
        await App.ExecuteAsync("update ledger.mt_doc_relationshipsummary set event_count = null, first_on = null, last_on = null, sequence = null where id = 'BY-US'", Ct);
        Assert.Equal(listed, await Listed());
    }

    [Fact]
    public async Task the_summary_after_backdated_facts_and_corrections_in_many_batches_equals_a_fold_of_the_whole_stream()
    {
        var first = await Append(Samples.Event("PrisonersReleased", "2024-05-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = 3 }));
        await App.WaitForProjectionsAsync();
        // in date order (extends the stored state), then backdated and provenance (the checkpointed history), each
        // seen by the daemon in a batch of its own
        foreach (var body in new[]
        {
            Samples.Event("EmbassyClosed", "2025-02-28"), Samples.Event("EmbassyOpened", "1992-01-01"),
            Samples.Correction(first, new JsonObject { ["data"] = new JsonObject { ["releasedBy"] = "BY", ["count"] = 7 } }),
            Samples.Event("PrisonersReleased", "2025-09-11", new JsonObject { ["releasedBy"] = "BY", ["count"] = 52 }),
        })
        {
            await Append(body);
            await App.WaitForProjectionsAsync();
        }
        await using var session = App.Store.QuerySession();
        var stored = await session.LoadAsync<RelationshipSummary>("BY-US", Ct);
        var stream = (await session.Events.FetchStreamAsync("BY-US", token: Ct)).Select(e => RecordedEvent.From(e)).ToList();
        Assert.Equal(JsonSerializer.Serialize(RelationshipSummary.Of("BY-US", stream), LedgerJson.Options), JsonSerializer.Serialize(stored, LedgerJson.Options));
        Assert.Equal((5, 59), (stored!.Events, stored.State.PrisonersReleased.Total));
        // the columns the projection reads before it decides whether it needs the stored state
        Assert.Equal($"{stored.Sequence} {stored.LastEffective:yyyy-MM-dd}", (await session.QueryAsync<string>(
            "select sequence::text || ' ' || last_effective::text from ledger.mt_doc_relationshipsummary where id = 'BY-US'", Ct)).Single());
        Assert.Equal(stored.LastRecorded, (await session.QueryAsync<DateTimeOffset>("select last_recorded from ledger.mt_doc_relationshipsummary where id = 'BY-US'", Ct)).Single());
        Assert.Equal(stream.Max(e => e.RecordedAt), stored.LastRecorded);
    }

    [Fact]
    public async Task an_append_that_fails_after_drawing_sequences_leaves_tombstones_the_summary_projection_passes_over()
    {
        await Append(Samples.Event("EmbassyClosed", "2022-02-28"));
        await using (var fault = await InjectedFault.InstallAsync(App.ConnectionString, Ct))
        {
            var failed = Samples.Event("LeadersSpoke", "2025-08-15", summary: InjectedFault.Marker);
            Assert.NotEqual(HttpStatusCode.Created, (await PostEvent("US-BY", failed)).StatusCode);
            Assert.True(await fault.TombstonesAsync() > 0);
        }
        await Append(Samples.Event("PrisonersReleased", "2025-09-11"));
        await App.WaitForProjectionsAsync();
        var list = await GetJson("/api/relations");
        Assert.Equal(["BY-US 2 2022-02-28 2025-09-11"], list["relations"]!.AsArray().Select(r => $"{r!["pair"]} {r["eventCount"]} {r["firstEventOn"]} {r["lastEventOn"]}"));
    }

    [Fact]
    public async Task the_history_cache_is_bounded_by_events_and_answers_as_a_full_fold()
    {
        foreach (var pair in new[] { "US-BY", "LT-BY", "PL-BY" })
            for (var i = 1; i <= 3; i++)
                await Append(Samples.Event("PrisonersReleased", $"2025-0{i}-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = i }), pair);
        var cache = new HistoryCache(maxEvents: 5);
        await using var session = App.Store.QuerySession();
        foreach (var id in new[] { "BY-US", "BY-LT", "BY-PL" })
        {
            Assert.True(Pair.TryParse(id, out var pair));
            var history = await cache.LatestAsync(session, pair, await session.Events.FetchStreamStateAsync(id, Ct), Ct);
            var full = RelationshipState.Fold(await Reading.LoadAsync(session, pair, Knowledge.Latest, Ct), new DateOnly(2025, 2, 15));
            Assert.Equal(JsonSerializer.Serialize(full, LedgerJson.Options), JsonSerializer.Serialize(history.StateAt(new DateOnly(2025, 2, 15)), LedgerJson.Options));
            // the one just used stays; older ones go once the bound is passed
            Assert.Equal(3, cache.Events);
        }
    }

    /// <summary>A write with provenance or related ids reads only what bears on the ids it names (a correction to the
    /// 100,000-event pair: 1,835 -> 38 ms); the reference is the filter over the whole stream.</summary>
    [Fact]
    public async Task the_events_bearing_on_some_ids_are_those_the_whole_stream_holds_for_them()
    {
        var facts = new List<Guid>();
        for (var i = 0; i < 6; i++)
            facts.Add(await Append(Samples.Event("PrisonersReleased", $"2025-0{i + 1}-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = i + 1 })));
        await Append(Samples.Correction(facts[0], new JsonObject { ["summary"] = "corrected" }));
        await Append(Samples.Citation(facts[0]));
        await Append(Samples.Retraction(facts[1]));
        await Append(Samples.Citation(facts[2], "supports"));
        await Append(Samples.Event("LeadersSpoke", "2025-07-01", new JsonObject { ["participants"] = new JsonArray("A", "B"), ["medium"] = "phone" }), "US-LT");
        var others = await Append(Samples.Correction(await Append(Samples.Event("EmbassyClosed", "2022-02-28"), "US-LT"), new JsonObject { ["summary"] = "x" }), "US-LT");
        await using var session = App.Store.QuerySession();
        var whole = (await session.Events.FetchStreamAsync("BY-US", token: Ct)).Select(e => RecordedEvent.From(e)).ToList();
        var rows = EventRows.Of(App.Store);
        var all = whole.Select(e => e.Event.Id).Append(others).Append(Guid.NewGuid()).ToList();
        var random = new Random(5);
        for (var round = 0; round < 40; round++)
        {
            var ids = all.Where(_ => random.Next(3) == 0).ToHashSet();
            var (version, bearing) = await rows.BearingAsync(session, "BY-US", ids, Ct);
            Assert.Equal(whole[^1].Version, version);
            Assert.Equal(Provenance.Bearing(whole, ids).Select(e => (e.Event.Id, e.Version, e.Sequence)), bearing.Select(e => (e.Event.Id, e.Version, e.Sequence)));
            Assert.Equal(Provenance.Bearing(whole, ids).Select(e => JsonSerializer.Serialize(e.Event, e.Event.GetType(), LedgerJson.Options)),
                bearing.Select(e => JsonSerializer.Serialize(e.Event, e.Event.GetType(), LedgerJson.Options)));
        }
        // a pair with no stream: version 0, nothing bears
        Assert.Equal((0L, 0), await rows.BearingAsync(session, "BY-PL", facts.ToHashSet(), Ct) is var (v, none) ? (v, none.Count) : default);
    }

    [Fact]
    public async Task the_store_reads_a_rows_json_in_one_synchronous_call_as_martens_streaming_read_does()
    {
        // written by the ledger's writer, with its headers
        await Append(Samples.Event("EnvoyVisited", "2025-09-11", summary: new string('Ж', 1999) + "."));
        var serializer = Assert.IsType<LedgerSerializer>(App.Store.Options.Serializer());
        await using var connection = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand("select data, headers, data, headers from ledger.mt_events where stream_id = 'BY-US'", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        // through the interface, as Marten calls it: done at once
        var data = ((Weasel.Storage.IStorageSerializer)serializer).FromJsonAsync(typeof(EnvoyVisited), reader, 0, Ct);
        var headers = ((Weasel.Storage.IStorageSerializer)serializer).FromJsonAsync<Dictionary<string, object>>(reader, 1, Ct);
        Assert.True(data.IsCompletedSuccessfully && headers.IsCompletedSuccessfully);
        // Marten's own read, streamed through System.Text.Json's async reader
        var marten = (Marten.Services.SystemTextJsonSerializer)serializer;
        Assert.Equal(JsonSerializer.Serialize(await marten.FromJsonAsync(typeof(EnvoyVisited), reader, 2, Ct), LedgerJson.Options), JsonSerializer.Serialize(await data, LedgerJson.Options));
        Assert.Equal(JsonSerializer.Serialize(await marten.FromJsonAsync<Dictionary<string, object>>(reader, 3, Ct)), JsonSerializer.Serialize(await headers));
        Assert.Equal("default", (await headers)["writer"].ToString());
    }

    [Fact]
    public async Task a_history_takes_the_events_its_caller_already_loaded_and_reads_only_the_rest()
    {
        for (var i = 1; i <= 4; i++)
            await Append(Samples.Event("PrisonersReleased", $"2025-0{i}-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = i }));
        Assert.True(Pair.TryParse("BY-US", out var pair));
        await using var session = App.Store.QuerySession();
        var state = await session.Events.FetchStreamStateAsync("BY-US", Ct);
        var stored = (await session.Events.FetchStreamAsync("BY-US", token: Ct)).Select(e => RecordedEvent.From(e)).ToList();
        // loaded copies that differ from the stored events, so the answer shows which were used
        var loaded = stored.Select(e => e with { Event = (PrisonersReleased)e.Event with { Count = 100 } }).ToList();
        string Json(CheckpointedHistory h) => JsonSerializer.Serialize(h.StateAt(DateOnly.MaxValue), LedgerJson.Options);
        string Expected(IEnumerable<RecordedEvent> events) => Json(CheckpointedHistory.Build(events.Select(HistoryCache.Lean)));
        async Task<string> Latest(HistoryCache cache, IReadOnlyList<RecordedEvent>? given) => Json(await cache.LatestAsync(session, pair, state, Ct, loaded: given));

        // the first two given, the rest read from the store
        Assert.Equal(Expected([.. loaded[..2], .. stored[2..]]), await Latest(new HistoryCache(), loaded[..2]));
        // given events that do not follow the history's version, or recorded before the stream was created, are not used
        Assert.Equal(Expected(stored), await Latest(new HistoryCache(), loaded[1..]));
        Assert.Equal(Expected(stored), await Latest(new HistoryCache(), [.. loaded.Select(e => e with { RecordedAt = state!.Created.AddSeconds(-1) })]));
        // extending a cached history: what it holds is passed over, what follows is taken
        var cache = new HistoryCache();
        await Latest(cache, null);
        Assert.Equal(Expected(stored), await Latest(cache, loaded));
        await Append(Samples.Event("PrisonersReleased", "2025-05-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = 5 }));
        state = await session.Events.FetchStreamStateAsync("BY-US", Ct);
        var fifth = RecordedEvent.From((await session.Events.FetchStreamAsync("BY-US", token: Ct))[^1]);
        Assert.Equal(Expected([.. stored, fifth with { Event = (PrisonersReleased)fifth.Event with { Count = 100 } }]),
            await Latest(cache, [.. loaded, fifth with { Event = (PrisonersReleased)fifth.Event with { Count = 100 } }]));
    }

    [Fact]
    public async Task histories_that_only_background_work_used_are_dropped_and_those_a_read_used_stay()
    {
        foreach (var pair in new[] { "US-BY", "LT-BY" })
            await Append(Samples.Event("PrisonersReleased", "2025-01-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = 1 }), pair);
        var cache = new HistoryCache();
        await using var session = App.Store.QuerySession();
        async Task Use(string id, bool read)
        {
            Assert.True(Pair.TryParse(id, out var pair));
            await cache.LatestAsync(session, pair, await session.Events.FetchStreamStateAsync(id, Ct), Ct, read);
        }
        await Use("BY-US", read: false);
        await Use("BY-LT", read: true);
        await Use("BY-LT", read: false);
        Assert.Equal(1, cache.DropUnread());
        Assert.False(cache.Holds("BY-US"));
        Assert.True(cache.Holds("BY-LT"));
        // read later, a history the projection loaded stays
        await Use("BY-US", read: false);
        await Use("BY-US", read: true);
        Assert.Equal(0, cache.DropUnread());
        Assert.Equal(2, cache.Events);
    }
}

public sealed class CachingTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task a_read_pinned_by_asOf_and_basis_is_immutable_with_a_strong_etag()
    {
        var first = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        await Record("US-BY", Samples.Event("EmbassyReopened", "2025-11-01"));
        var url = $"/api/relations/US-BY/state?asOf=2025-12-31&basis={first["sequence"]}";
        var response = await Get(url);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl!.ToString());
        var etag = response.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(url, etag.Tag)).StatusCode);
        // a strong tag promises the same bytes: the answer is as known when its basis was recorded, not when it was read
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal((string)first["recordedAt"]!, (string)JsonNode.Parse(body)!["knownAt"]!);
        await Task.Delay(20, Ct);
        Assert.Equal(body, await (await Get(url)).Content.ReadAsStringAsync(Ct));
        var timeline = await Get($"/api/relations/US-BY/timeline?basis={first["sequence"]}");
        Assert.Equal("public, max-age=31536000, immutable", timeline.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task a_read_pinned_by_asOf_and_a_settled_instant_is_immutable_too()
    {
        var first = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        var at = Uri.EscapeDataString((string)first["recordedAt"]!);
        await Record("US-BY", Samples.Event("EmbassyReopened", "2025-11-01"));
        var url = $"/api/relations/US-BY/state?asOf=2025-12-31&knownAt={at}";
        var response = await Get(url);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl!.ToString());
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(url, response.Headers.ETag.Tag)).StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        // as known then: the embassy suspended, not yet reopened
        Assert.Equal("suspended", (string)JsonNode.Parse(body)!["embassies"]![0]!["status"]!);
        await Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15"));
        Assert.Equal(body, await (await Get(url)).Content.ReadAsStringAsync(Ct));
        var timeline = await Get($"/api/relations/US-BY/timeline?knownAt={at}");
        Assert.Equal("public, max-age=31536000, immutable", timeline.Headers.CacheControl!.ToString());
        Assert.Single(JsonNode.Parse(await timeline.Content.ReadAsStringAsync(Ct))!["events"]!.AsArray());

        // not pinned: an instant still ahead is answered as the newest knowledge, and a state without asOf is today's
        foreach (var open in new[] { "/api/relations/US-BY/state?asOf=2025-12-31&knownAt=2100-01-01T00:00:00Z", $"/api/relations/US-BY/state?knownAt={at}",
                     "/api/relations/US-BY/timeline?knownAt=2100-01-01T00:00:00Z" })
        {
            var read = await Get(open);
            Assert.Equal("no-cache", read.Headers.CacheControl!.ToString());
            Assert.True(read.Headers.ETag!.IsWeak);
        }
    }

    [Fact]
    public async Task the_diff_and_the_chart_series_are_cached_as_the_state_is()
    {
        var first = await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        var (at, basis) = (Uri.EscapeDataString((string)first["recordedAt"]!), (long)first["sequence"]!);
        foreach (var path in new[] { "/api/relations/US-BY/diff?from=2020-01-01&to=2025-12-31", "/api/relations/US-BY/series?" })
        {
            var open = await Get(path);
            Assert.Equal("no-cache", open.Headers.CacheControl!.ToString());
            Assert.Equal(HttpStatusCode.NotModified, (await Get(path, open.Headers.ETag!.ToString())).StatusCode);
            var pinned = new[] { await Get($"{path}&knownAt={at}"), await Get($"{path}&basis={basis}") };
            await Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15"));
            Assert.Equal(HttpStatusCode.OK, (await Get(path, open.Headers.ETag.ToString())).StatusCode);
            foreach (var (read, url) in pinned.Zip([$"{path}&knownAt={at}", $"{path}&basis={basis}"]))
            {
                Assert.Equal("public, max-age=31536000, immutable", read.Headers.CacheControl!.ToString());
                Assert.Equal(HttpStatusCode.NotModified, (await Get(url, read.Headers.ETag!.Tag)).StatusCode);
                Assert.Equal(await read.Content.ReadAsStringAsync(Ct), await (await Get(url)).Content.ReadAsStringAsync(Ct));
            }
        }
    }

    [Fact]
    public async Task an_unpinned_read_answers_304_until_something_is_appended()
    {
        var newest = (long)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["sequence"]!;
        foreach (var url in new[] { "/api/relations/US-BY/state?asOf=2025-12-31", "/api/relations/US-BY/timeline" })
        {
            var response = await Get(url);
            Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
            // weak: the state says when it was read (knownAt), so the same answer is not the same bytes
            Assert.True(response.Headers.ETag!.IsWeak);
            var etag = response.Headers.ETag!.ToString();
            Assert.Equal(HttpStatusCode.NotModified, (await Get(url, etag)).StatusCode);
            Assert.Equal(HttpStatusCode.NotModified, (await Get(url, $"\"other\", {response.Headers.ETag.Tag}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotModified, (await Get(url, "*")).StatusCode);
            newest = (long)(await Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15")))["sequence"]!;
            var changed = await Get(url, etag);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.NotEqual(etag, changed.Headers.ETag!.ToString());
        }
        var futureBasis = await Get($"/api/relations/US-BY/state?asOf=2025-12-31&basis={newest + 1000}");
        Assert.Equal("no-cache", futureBasis.Headers.CacheControl!.ToString());
    }
}
