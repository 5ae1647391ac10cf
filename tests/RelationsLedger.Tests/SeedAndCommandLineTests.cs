using System.Net;
using System.Text.RegularExpressions;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Seeding;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class SeedAndCommandLineTests(LedgerApp app) : ApiTest(app)
{
    private Seeds Seeds => App.Services.GetRequiredService<Seeds>();

    [Fact]
    public async Task seeds_load_once_and_a_second_load_adds_nothing()
    {
        var first = await Seeds.LoadAsync(Ct);
        Assert.Empty(first.Problems);
        Assert.True(first.Appended > 50);
        var count = await App.EventCountAsync();
        var second = await Seeds.LoadAsync(Ct);
        Assert.Equal((0, first.Appended), (second.Appended, second.AlreadyPresent));
        Assert.Equal(count, await App.EventCountAsync());
    }

    [Fact]
    public async Task nodes_that_seed_at_once_seed_one_after_the_other_and_leave_no_gap()
    {
        // two nodes started together on an empty database (docker-compose's two): one appends, the other finds it present
        var (a, b) = (Seeds.LoadAsync(Ct), Seeds.LoadAsync(Ct));
        var results = await Task.WhenAll(a, b);
        Assert.Equal([0, results.Max(r => r.Appended)], results.Select(r => r.Appended).Order());
        await using var session = App.Store.QuerySession();
        var counts = await session.QueryAsync<string>("select count(*) filter (where type <> 'tombstone') || ' ' || count(*) filter (where type = 'tombstone') || ' ' || (max(seq_id) - min(seq_id) + 1) from ledger.mt_events", Ct);
        var n = results.Max(r => r.Appended);
        Assert.Equal($"{n} 0 {n}", counts.Single());
    }

    [Fact]
    public async Task the_seeded_history_gives_the_state_of_the_envoys_visit()
    {
        await Seeds.LoadAsync(Ct);
        var state = await GetJson("/api/relations/US-BY/state?asOf=2025-09-11");
        var embassy = Assert.Single(state["embassies"]!.AsArray())!;
        Assert.Equal(("US", "suspended", "2022-02-28"), ((string?)embassy["embassyOf"], (string?)embassy["status"], (string?)embassy["since"]));
        var belavia = state["sanctions"]!.AsArray().Where(s => ((string)s!["target"]!).Contains("Belavia")).Select(s => (string?)s!["status"]).Order().ToList();
        Assert.Equal(["eased", "expired"], belavia);
        Assert.Equal("US", (string?)state["ambassadors"]!.AsArray().Single(a => (string?)a!["name"] == "Julie Fisher")!["ambassadorOf"]);

        var before = await GetJson("/api/relations/US-BY/state?asOf=2025-09-10");
        Assert.Equal(52, (int)state["prisonersReleased"]!["total"]! - (int)before["prisonersReleased"]!["total"]!);
        Assert.Equal("active", before["sanctions"]!.AsArray().Single(s => ((string)s!["target"]!).Contains("Belavia") && (string?)s["status"] != "expired")!["status"]!.ToString());

        var visit = (await GetJson("/api/relations/US-BY/timeline?types=EnvoyVisited&from=2025-09-11&to=2025-09-11"))["events"]![0]!;
        Assert.Equal(("John Coale", true), ((string?)visit["data"]!["envoy"], (bool)visit["corrected"]!));
        var release = (await GetJson("/api/relations/US-BY/timeline?types=PrisonersReleased&from=2025-09-11&to=2025-09-11"))["events"]![0]!;
        Assert.True((bool)release["disputed"]!);
    }

    [Fact]
    public async Task rebuild_reproduces_both_projections_exactly_as_appends_and_the_daemon_left_them()
    {
        await Seeds.LoadAsync(Ct);
        var corrected = await Record("LT-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await Record("LT-BY", Samples.Event("EventRetracted", "2025-09-12",
            new JsonObject { ["retractsEventId"] = (string)corrected["eventId"]!, ["reason"] = "duplicate report" }));
        var redated = await Record("LT-BY", Samples.Event("PrisonersReleased", "2025-09-01"));
        await Record("LT-BY", Samples.Correction(Guid.Parse((string)redated["eventId"]!), new JsonObject { ["occurredOn"] = "2021-10-01" }));
        await App.WaitForProjectionsAsync();
        var (timeline, summaries, indexes) = (await Rows("mt_doc_timelineentry"), await Rows("mt_doc_relationshipsummary"), await Indexes());
        Assert.Contains(indexes, i => i.StartsWith("CREATE UNIQUE INDEX pkey_mt_doc_timelineentry_id") && i.EndsWith(" p"));
        Assert.Contains(timeline, row => row.Contains("\"retracted\": true"));
        Assert.Contains(timeline, row => row.Contains(" BY-LT 2021-10-01 "));

        var result = await App.RebuildAsync(Ct);

        Assert.Equal((await App.EventCountAsync(), 2, timeline.Count), (result.Events, result.Pairs, result.TimelineRows));
        Assert.Equal(timeline, await Rows("mt_doc_timelineentry"));
        Assert.Equal(summaries, await Rows("mt_doc_relationshipsummary"));
        Assert.Equal(indexes, await Indexes());
        // the summaries are written compressed with lz4 where the server has it (the seeded pair's is big enough to be)
        await using var session = App.Store.QuerySession();
        var lz4 = (await session.QueryAsync<bool>("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", Ct)).Single();
        var compression = (await session.QueryAsync<string>("select coalesce(pg_column_compression(data), 'none') from ledger.mt_doc_relationshipsummary where id = 'BY-US'", Ct)).Single();
        Assert.Equal(lz4 ? "lz4" : "pglz", compression);
    }

    [Fact]
    public async Task a_rebuild_beside_a_summary_batch_in_flight_waits_for_it_instead_of_deadlocking()
    {
        await Seeds.LoadAsync(Ct);
        await App.WaitForProjectionsAsync();
        // what a daemon's batch does in its transaction: its progress row first, then the summaries
        await using var daemon = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await daemon.OpenAsync(Ct);
        await using var batch = await daemon.BeginTransactionAsync(Ct);
        await Support.Sql.ExecuteAsync(daemon, "update ledger.mt_event_progression set last_updated = now() where name = 'RelationshipSummaryProjection:All'", Ct);

        var rebuild = App.RebuildAsync(Ct);
        while (!rebuild.IsCompleted && await Support.Sql.CountAsync(App.ConnectionString, "select count(*) from pg_locks where not granted", Ct) == 0) await Task.Delay(20, Ct);
        // the rebuild waits for the batch's progress row before it touches the summaries (it truncated them first, and
        // the batch's write to them closed a cycle: 40P01 for one of the two)
        await Support.Sql.ExecuteAsync(daemon, "update ledger.mt_doc_relationshipsummary set mt_last_modified = now() where id = 'BY-US'", Ct);
        await batch.CommitAsync(Ct);

        var result = await rebuild.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal((await App.EventCountAsync(), 1), (result.Events, result.Pairs));
        Assert.Equal(1, await Support.Sql.CountAsync(App.ConnectionString, "select count(*) from ledger.mt_doc_relationshipsummary", Ct));

    }

    [Fact]
    public async Task a_rebuild_that_meets_an_unreadable_event_fails_with_its_error_and_leaves_both_projections_as_they_were()
    {
        await Seeds.LoadAsync(Ct);
        await Record("LT-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await App.WaitForProjectionsAsync();
        var (timeline, summaries, indexes) = (await Rows("mt_doc_timelineentry"), await Rows("mt_doc_relationshipsummary"), await Indexes());
        await App.ExecuteAsync("update ledger.mt_events set data = jsonb_set(data, '{summary}', '5') where stream_id = 'BY-LT'", Ct);

        // the reading stage fails: the others stop, the error is the reader's, and nothing is left half rebuilt
        var failure = await Xunit.Record.ExceptionAsync(() => RelationsLedger.Relations.Projections.Rebuild.RunAsync(App.Store, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.IsType<System.Text.Json.JsonException>(failure);
        Assert.Equal(timeline, await Rows("mt_doc_timelineentry"));
        Assert.Equal(summaries, await Rows("mt_doc_relationshipsummary"));
        Assert.Equal(indexes, await Indexes());
    }

    [Fact]
    public async Task the_rebuild_verb_refuses_while_an_api_node_runs_on_the_database_and_rebuilds_with_force()
    {
        await Seeds.LoadAsync(Ct);
        await App.WaitForProjectionsAsync();
        var timeline = await Rows("mt_doc_timelineentry");
        await App.ExecuteAsync("update ledger.mt_doc_timelineentry set data = jsonb_set(data, '{tampered}', 'true') where id = (select id from ledger.mt_doc_timelineentry order by id limit 1)", Ct);

        // this test's host is such a node: it checks in every second
        var (exit, output) = await Run("rebuild");
        Assert.True(exit != 0, output);
        Assert.Matches(@"API nodes run on this database \(node \d+, last seen [\d.]+ s ago\): stop them first", output);
        Assert.Contains(await Rows("mt_doc_timelineentry"), row => row.Contains("\"tampered\": true"));

        var (forcedExit, forced) = await Run("rebuild", "--force");
        Assert.True(forcedExit == 0, forced);
        Assert.Contains("Rebuilt", forced);
        Assert.Equal(timeline, await Rows("mt_doc_timelineentry"));
    }

    // the columns kept beside the JSON too (the timeline's pair, effective date and sequence; a summary's sequence,
    // last effective date and the listing's figures), which every writer fills
    private async Task<List<string>> Rows(string table)
    {
        await using var session = App.Store.QuerySession();
        var columns = table == "mt_doc_timelineentry" ? " || ' ' || pair || ' ' || effective::text || ' ' || sequence::text"
            : " || ' ' || concat_ws(' ', sequence, last_effective, event_count, first_on, last_on)";
        return (await session.QueryAsync<string>($"select id::text{columns} || ' ' || data::text from ledger.{table} order by id", Ct)).ToList();
    }

    // the rebuild drops the table's key and indexes for the load: the same ones are there afterwards
    private async Task<List<string>> Indexes()
    {
        await using var session = App.Store.QuerySession();
        return (await session.QueryAsync<string>(
            "select indexdef || coalesce(' ' || (select contype::text from pg_constraint c where c.conindid = (schemaname || '.' || indexname)::regclass), '') from pg_indexes where schemaname = 'ledger' and tablename = 'mt_doc_timelineentry' order by indexname", Ct)).ToList();
    }

    [Fact]
    public async Task export_all_then_import_into_an_empty_ledger_reproduces_every_pair_at_every_date_with_the_same_ids()
    {
        await Seeds.LoadAsync(Ct);
        await Record("LT-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        await Record("LT-BY", Samples.Event("EmbassyClosed", "2021-08-01", new JsonObject { ["embassyOf"] = "LT", ["city"] = "Minsk", ["mode"] = "closed" }));
        var dates = new[] { "2008-04-01", "2021-09-01", "2025-09-10", "2025-09-11", "2025-12-31" };
        async Task<List<JsonObject>> States() =>
            [.. await Task.WhenAll(from pair in new[] { "US-BY", "LT-BY" } from date in dates select GetJson($"/api/relations/{pair}/state?asOf={date}"))];
        var before = await States();
        var writer = new StringWriter();
        await using (var session = App.Store.QuerySession())
            Assert.True(await ExportCommand.ExportAsync(session, null, writer, Ct) > 50);
        // pairs import side by side, so the same ids in the same order within each pair
        static List<string> IdsByPair(StringWriter export) => export.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .GroupBy(e => (string)e["pair"]!).OrderBy(g => g.Key).SelectMany(g => g.Select(e => $"{g.Key} {(string)e["eventId"]!}")).ToList();
        var ids = IdsByPair(writer);

        await App.ResetAsync();
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(writer.ToString())), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.Empty(result.Problems);
        var after = await States();
        foreach (var (b, a) in before.Zip(after))
            foreach (var section in new[] { "pair", "asOf", "embassies", "ambassadors", "sanctions", "prisonersReleased", "lastContact", "eventCount", "lastEventOn" })
                Assert.True(JsonNode.DeepEquals(b[section], a[section]), $"{b["pair"]} {b["asOf"]} {section}");
        var again = new StringWriter();
        await using (var session = App.Store.QuerySession()) await ExportCommand.ExportAsync(session, null, again, Ct);
        Assert.Equal(ids, IdsByPair(again));
    }

    [Fact]
    public async Task an_import_longer_than_one_transaction_applies_provenance_across_its_runs_as_a_rebuild_does()
    {
        // three runs of one pair: corrections, retractions and citations in later runs point at facts of earlier ones
        var random = new Random(7);
        var (facts, lines, retracted) = (new List<Guid>(), new List<string>(), 0);
        for (var i = 0; lines.Count < 2 * Importer.Chunk + 600; i++)
        {
            var date = new DateOnly(2000, 1, 1).AddDays(random.Next(9000)).ToString("yyyy-MM-dd");
            JsonObject e = facts.Count < 900 || random.Next(10) > 0
                ? Samples.Event("StatementMade", date, eventId: Guid.CreateVersion7(), summary: $"fact {i}")
                : random.Next(3) switch
                {
                    0 => Samples.Correction(facts[random.Next(300)], new JsonObject { ["summary"] = $"corrected by line {lines.Count + 1}" }, date),
                    1 => Samples.Retraction(facts[600 + retracted++], date),
                    _ => Samples.Citation(facts[300 + random.Next(300)], occurredOn: date),
                };
            if (e["eventId"] is { } id && (string)e["type"]! == "StatementMade") facts.Add(Guid.Parse((string)id!));
            lines.Add(Line(e));
        }
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(string.Join('\n', lines))), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.Empty(result.Problems);
        Assert.Equal(lines.Count, result.Appended);

        await using var session = App.Store.QuerySession();
        var rows = (await session.QueryAsync<string>("select id::text || ' ' || data::text from ledger.mt_doc_timelineentry order by id", Ct)).ToList();
        Assert.Contains(rows, row => row.Contains("corrected by line"));
        Assert.Contains(rows, row => row.Contains("\"retracted\": true"));
        await App.RebuildAsync(Ct);
        Assert.Equal(rows, (await session.QueryAsync<string>("select id::text || ' ' || data::text from ledger.mt_doc_timelineentry order by id", Ct)).ToList());
    }

    [Fact]
    public async Task an_import_with_one_bad_line_appends_nothing_and_names_the_line()
    {
        var file = string.Join('\n',
            Line(Samples.Event("EmbassyClosed", "2022-02-28")),
            "{not json",
            Line(Samples.Event("EmbassyReopened", "2025-02-30")),
            Line(Samples.Event("EmbassyClosed", "2022-02-28")).Replace("\"summary\":", "\"summary\":\"first\",\"summary\":"));
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(file)), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.Equal(["line 2", "line 3.occurredOn", "line 4"], result.Problems.Keys.Order());
        Assert.Contains("Duplicate property 'summary'", result.Problems["line 4"][0]);
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Fact]
    public async Task an_import_whose_provenance_fails_late_in_the_file_appends_nothing()
    {
        // valid lines; far down, one corrects a fact retracted over HTTP, and one corrects a fact the file itself
        // retracted: each was found only when its run was written, after the runs before it
        var fact = await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        var factId = Guid.Parse((string)fact["eventId"]!);
        await Record("US-BY", Samples.Retraction(factId));
        var own = Samples.Event("EmbassyClosed", "2022-02-28", eventId: Guid.NewGuid());
        var ownId = Guid.Parse((string)own["eventId"]!);
        var lines = new[] { Line(own), Line(Samples.Retraction(ownId)) }
            .Concat(Enumerable.Range(0, Importer.Chunk).Select(i => Line(Samples.Event("StatementMade", "2024-01-01", summary: $"line {i + 3}"))))
            .Append(Line(Samples.Correction(factId, new JsonObject { ["summary"] = "too late" })))
            .Append(Line(Samples.Correction(ownId, new JsonObject { ["summary"] = "too late too" })));
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllLinesAsync(file, lines, Ct);
        try
        {
            var (exit, output) = await Run("import", file);
            Assert.True(exit != 0, output);
            output = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
            Assert.Contains($"line {Importer.Chunk + 3}.data.correctsEventId: Event {factId} is already retracted.", output);
            Assert.Contains($"line {Importer.Chunk + 4}.data.correctsEventId: Event {ownId} is already retracted.", output);
            Assert.DoesNotContain("appended", output);
            Assert.Equal(2, await App.EventCountAsync());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task an_import_that_meets_a_write_racing_it_stops_and_says_how_much_it_appended()
    {
        // the file's last line corrects a fact that an HTTP request retracts once the file's first run is committed
        var fact = await Record("US-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        var factId = Guid.Parse((string)fact["eventId"]!);
        var lines = Enumerable.Range(0, Importer.Chunk).Select(i => Line(Samples.Event("StatementMade", "2024-01-01", summary: $"line {i + 1}")))
            .Append(Line(Samples.Correction(factId, new JsonObject { ["summary"] = "too late" })));
        var writer = App.Services.GetRequiredService<Relations.Recording.StreamWriter>();
        var raced = 0;
        writer.Committed = async _ =>
        {
            if (Interlocked.Exchange(ref raced, 1) == 0) await Record("US-BY", Samples.Retraction(factId));
        };
        ImportResult result;
        try { result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(string.Join('\n', lines))), new DateOnly(2026, 1, 1), ct: Ct); }
        finally { writer.Committed = null; }
        Assert.Equal($"Event {factId} is already retracted.", Assert.Single(result.Problems[$"line {Importer.Chunk + 1}.data.correctsEventId"]));
        Assert.Equal((Importer.Chunk, 0), (result.Appended, result.AlreadyPresent));
        Assert.Equal(Importer.Chunk + 2, await App.EventCountAsync());
    }

    [Fact]
    public async Task an_import_line_whose_id_is_recorded_with_another_body_or_pair_is_a_conflict_not_skipped()
    {
        var recorded = Samples.Event("PrisonersReleased", "2025-09-11", eventId: Guid.NewGuid());
        await Record("US-BY", recorded);
        var again = Line((JsonObject)recorded.DeepClone());
        var otherBody = (JsonObject)recorded.DeepClone();
        otherBody["summary"] = "52 freed, says another outlet";
        var otherPair = JsonNode.Parse(Line((JsonObject)recorded.DeepClone()))!.AsObject();
        otherPair["pair"] = "LT-BY";

        // the same line again is present; with another body or in another pair it is refused, named by its line
        var same = await Import(again, Line(Samples.Event("EnvoyVisited", "2025-09-12")));
        Assert.Empty(same.Problems);
        Assert.Equal((1, 1), (same.Appended, same.AlreadyPresent));
        foreach (var line in new[] { Line(otherBody), otherPair.ToJsonString() })
        {
            var result = await Import(line);
            Assert.Equal(AppendOutcome.Conflict.IdTaken, Assert.Single(result.Problems["line 1.eventId"]));
            Assert.Equal((0, 0), (result.Appended, result.AlreadyPresent));
        }
        Assert.Equal(2, await App.EventCountAsync());
    }

    [Fact]
    public async Task an_import_file_that_gives_one_event_id_twice_appends_nothing_and_names_both_lines()
    {
        var id = Guid.NewGuid();
        var lines = Enumerable.Range(0, Importer.Chunk + 5).Select(i => Line(Samples.Event("StatementMade", "2024-01-01", summary: $"line {i + 1}"))).ToList();
        lines[2] = Line(Samples.Event("PrisonersReleased", "2025-09-11", eventId: id));
        lines[^1] = Line(Samples.Event("EnvoyVisited", "2025-09-12", eventId: id));
        var result = await Import([.. lines]);
        Assert.Equal($"The same eventId as line 3: each event is in a file once.", Assert.Single(result.Problems[$"line {lines.Count}.eventId"]));
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Theory]
    [InlineData("[{\"pair\":\"US-BY\"", 1)]
    [InlineData("[{\"pair\":\"US-BY\"}]\n{\"pair\":\"US-BY\"}", 2)]
    public async Task an_import_file_that_is_neither_one_json_array_nor_ndjson_is_a_problem_not_a_crash(string file, int line)
    {
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(file)), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.StartsWith("The file is not one JSON array (nor NDJSON)", Assert.Single(result.Problems[$"line {line}"]));
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Fact]
    public async Task the_import_verb_refuses_a_file_that_is_not_utf8_and_a_line_with_an_expected_version()
    {
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.ndjson");
        try
        {
            // "Café" in Latin-1: the é is one byte that is not UTF-8
            var latin1 = Line(Samples.Event("StatementMade", "2024-01-01", summary: "Cafe")).Replace("Cafe", "Café");
            await File.WriteAllBytesAsync(file, System.Text.Encoding.Latin1.GetBytes(latin1), Ct);
            var (exit, output) = await Run("import", file);
            Assert.True(exit != 0, output);
            Assert.Contains("line 1: Not UTF-8 text", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));

            var versioned = Samples.Event("StatementMade", "2024-01-01");
            versioned["expectedVersion"] = 999999;
            await File.WriteAllTextAsync(file, Line(versioned), Ct);
            (exit, output) = await Run("import", file);
            Assert.True(exit != 0, output);
            Assert.Contains("line 1.expectedVersion", output);
            Assert.Equal(0, await App.EventCountAsync());

            var (exportExit, export) = await Run("export", "--all", "--out", "/nonexistent/folder/ledger.ndjson");
            Assert.True(exportExit != 0, export);
            Assert.Contains("Cannot write /nonexistent/folder/ledger.ndjson", export);
            Assert.DoesNotContain("   at ", export);
        }
        finally { File.Delete(file); }
    }

    private Task<ImportResult> Import(params string[] lines) =>
        Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader(string.Join('\n', lines))), new DateOnly(2026, 1, 1), ct: Ct);

    [Fact]
    public async Task an_import_file_may_be_one_json_array()
    {
        var array = new JsonArray(
            JsonNode.Parse(Line(Samples.Event("EmbassyClosed", "2022-02-28"))),
            JsonNode.Parse(Line(Samples.Event("PrisonersReleased", "2025-09-11"))));
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), Importer.ReadLines(new StringReader("  \n" + array.ToJsonString())), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.Empty(result.Problems);
        Assert.Equal((2, 0), (result.Appended, result.AlreadyPresent));
        Assert.Equal(2, await App.EventCountAsync());
    }

    private static string Line(JsonObject e)
    {
        e["pair"] = "US-BY";
        return e.ToJsonString();
    }

    [Fact]
    public async Task the_replay_verb_prints_the_state_as_tables_and_walks_event_by_event()
    {
        await Seeds.LoadAsync(Ct);
        var (exit, output, log) = await RunOn(App.ConnectionString, "replay", "--pair", "us-by", "--to", "2025-09-11", "--step");
        Assert.True(exit == 0, output + log);
        // standard output is the replay alone: the host's logs went to standard error, the command line's discovery nowhere
        Assert.DoesNotContain("info:", output);
        Assert.DoesNotContain("Searching", output + log);
        Assert.Contains("BY-US", output);
        Assert.Contains("suspended", output);
        Assert.Contains("Belavia", output);
        Assert.Contains("EnvoyVisited", output);
        Assert.Contains("changed sanctions", output);
        var (badExit, badOutput) = await Run("replay", "--pair", "USA-BY");
        Assert.NotEqual(0, badExit);
        Assert.Contains("--pair", badOutput);
        // a bad flag is named as it is typed, not by the HTTP API's name for the same value
        var (badKnownAtExit, badKnownAt) = await Run("replay", "--pair", "US-BY", "--known-at", "yesterday");
        Assert.NotEqual(0, badKnownAtExit);
        Assert.Contains("--known-at: Must be an ISO 8601 instant", badKnownAt);
        Assert.DoesNotContain("knownAt", badKnownAt);
    }

    [Fact]
    public async Task the_replay_verb_writes_the_state_as_the_api_answers_it_with_json()
    {
        await Seeds.LoadAsync(Ct);
        var (exit, output, error) = await RunOn(App.ConnectionString, "replay", "--pair", "us-by", "--to", "2025-09-11", "--json");
        Assert.True(exit == 0, output + error);
        var verb = JsonNode.Parse(output)!.AsObject();
        var api = await GetJson("/api/relations/US-BY/state?asOf=2025-09-11");
        // the same state; each says when it was read
        Assert.True(DateTimeOffset.Parse((string)verb["knownAt"]!) <= DateTimeOffset.Parse((string)api["knownAt"]!));
        verb.Remove("knownAt");
        api.Remove("knownAt");
        Assert.True(JsonNode.DeepEquals(api, verb), $"{api} != {verb}");
        Assert.Equal(87, (int)verb["prisonersReleased"]!["total"]!);

        // as known at an instant: the same bytes' worth, the instant too
        var at = Uri.EscapeDataString((string)api["basis"]!["recordedAt"]!);
        var (_, known, _) = await RunOn(App.ConnectionString, "replay", "--pair", "us-by", "--to", "2025-09-11", "--known-at", Uri.UnescapeDataString(at), "--json");
        Assert.True(JsonNode.DeepEquals(await GetJson($"/api/relations/US-BY/state?asOf=2025-09-11&knownAt={at}"), JsonNode.Parse(known)), known);

        var (bothExit, both) = await Run("replay", "--pair", "US-BY", "--step", "--json");
        Assert.NotEqual(0, bothExit);
        Assert.Contains("Give --step or --json, not both", both);
    }

    [Fact]
    public async Task the_sanctions_verb_screens_a_name_as_a_table_or_as_csv_on_standard_output()
    {
        await Seeds.LoadAsync(Ct);
        var (exit, table) = await Run("sanctions", "--as-of", "2025-09-30", "--target", "BELAVIA");
        Assert.True(exit == 0, table);
        // as wide as COLUMNS says (200 here): no cell wrapped
        Assert.Contains("2 measures in the sanctions register as of 2025-09-30, target matching \"BELAVIA\"", table);
        Assert.Matches(@"│ BY-US\s+│ US\s+│ Belavia Belarusian Airlines\s+│ BIS Temporary Denial Order\s+│ expired\s+│ 2024-12 ", table);
        Assert.Matches(@"│ BY-US\s+│ US\s+│ Belavia Belarusian Airlines\s+│ E.O. 14038\s+│ eased\s+│ 2025-09-11 ", table);
        // before the denial order lapsed, and as known before the seeds were recorded
        Assert.Contains("2 measures", (await Run("sanctions", "--as-of", "2024-06-30", "--target", "belavia", "--status", "active")).Output);
        Assert.Contains("0 measures", (await Run("sanctions", "--as-of", "2025-09-30", "--known-at", "2020-01-01")).Output);
        // other spellings of the name
        Assert.Contains("0 measures", (await Run("sanctions", "--as-of", "2025-09-30", "--target", "Bielavia")).Output);
        var similar = (await Run("sanctions", "--as-of", "2025-09-30", "--target", "Bielavia", "--match", "similar")).Output;
        Assert.Contains("2 measures in the sanctions register as of 2025-09-30, target spelt like \"Bielavia\"", similar);
        // and why each row is listed
        Assert.Equal(2, Regex.Matches(similar, @"│ Matched\s+│|│ bielavia ~ Belavia \(a letter apart\)\s+│").Count - 1);

        // CSV on standard output alone (the host's lines go to standard error): the API's rows
        var (csvExit, csv, _) = await RunOn(App.ConnectionString, "sanctions", "--as-of", "2025-09-30", "--target", "belavia", "--csv");
        Assert.Equal(0, csvExit);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var api = await (await Http.GetAsync("/api/sanctions?asOf=2025-09-30&target=belavia&format=csv", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Equal(api.Split("\r\n", StringSplitOptions.RemoveEmptyEntries), lines);
        Assert.Equal(3, lines.Length);

        // a bad flag is named as it is typed
        foreach (var (flags, says) in new[] { (new[] { "--imposed-by", "USA" }, "--imposed-by: Must be an ISO"), (["--status", "gone"], "--status: Must be one of"), (["--match", "fuzzy"], "--match: Must be one of: words, similar"), (["--as-of", "2025-13-01"], "--as-of: Must be a date") })
        {
            var (badExit, bad) = await Run(["sanctions", .. flags]);
            Assert.True(badExit != 0, bad);
            Assert.Contains(says, bad);
        }
    }

    [Fact]
    public async Task export_given_both_a_pair_and_all_refuses_and_writes_nothing()
    {
        await Seeds.LoadAsync(Ct);
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.ndjson");
        var (exit, output) = await Run("export", "--pair", "US-BY", "--all", "--out", file);
        Assert.True(exit != 0, output);
        Assert.Contains("Give --pair US-BY or --all, not both", output);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task every_verb_on_a_database_it_cannot_reach_says_so_in_one_line_and_exits_non_zero()
    {
        var port = AppProcess.FreePort();
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(file, Line(Samples.Event("StatementMade", "2024-01-01")), Ct);
        try
        {
            foreach (var verb in new string[][] { ["replay", "--pair", "US-BY"], ["import", file], ["export", "--all"], ["seed"], ["rebuild"], ["sanctions", "--csv"] })
                SaysItCannotConnect(port, await RunOn(Closed(port), verb));
        }
        finally { File.Delete(file); }

        var (healthExit, health) = await Run("healthcheck", "--url", "notaurl");
        Assert.True(healthExit != 0, health);
        Assert.Contains("--url must be an absolute http(s) URL", health);
        Assert.DoesNotContain("Exception", health);
    }

    [Fact]
    public async Task the_healthcheck_verb_probes_the_url_without_building_the_host()
    {
        var port = AppProcess.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var answering = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                context.Response.StatusCode = context.Request.Url!.AbsolutePath == "/health/ready" ? 200 : 503;
                context.Response.Close();
            }
        }, Ct);
        var (readyExit, ready, readyLogs) = await AppProcess.RunAsync([AppProcess.AppDll, "healthcheck", "--url", $"http://127.0.0.1:{port}/health/ready"], new Dictionary<string, string?>(), Ct);
        Assert.True(readyExit == 0, ready + readyLogs);
        Assert.Equal($"200 http://127.0.0.1:{port}/health/ready", ready.Trim());
        // the host's build logs to standard error (Wolverine's registry, the store): none of it for a probe
        Assert.Equal("", readyLogs);
        var (downExit, down, _) = await AppProcess.RunAsync([AppProcess.AppDll, "healthcheck", "--url", $"http://127.0.0.1:{port}/other"], new Dictionary<string, string?>(), Ct);
        Assert.Equal(1, downExit);
        Assert.Equal($"503 http://127.0.0.1:{port}/other", down.Trim());
        await answering;
    }

    [Theory]
    [InlineData("run")]
    [InlineData("--urls http://127.0.0.1:9")]
    [InlineData("db-apply")]
    [InlineData("db-assert")]
    [InlineData("db-patch -d marten://store/ schema.sql")]
    [InlineData("check-env")]
    [InlineData("resources check")]
    [InlineData("capabilities")]
    [InlineData("projections rebuild")]
    [InlineData("projection-run TimelineProjection --stream BY-US")]
    [InlineData("event-query")]
    [InlineData("stream-query")]
    [InlineData("marten --advance")]
    [InlineData("storage counts")]
    [InlineData("clear-handled")]
    [InlineData("wolverine-diagnostics describe-routing --all")]
    public async Task the_critter_stacks_verbs_that_need_the_database_say_in_one_line_that_they_cannot_reach_it(string commandLine)
    {
        var port = AppProcess.FreePort();
        SaysItCannotConnect(port, await RunOn(Closed(port), commandLine.Split(' ')));
    }

    [Theory]
    [InlineData("help")]
    [InlineData("help export")]
    [InlineData("export --help")]
    [InlineData("describe")]
    [InlineData("db-list")]
    [InlineData("projections list")]
    [InlineData("resources list")]
    [InlineData("wolverine-diagnostics fsharp-coverage")]
    public async Task verbs_that_do_not_need_the_database_work_without_it(string commandLine)
    {
        var (exit, output, error) = await RunOn(Closed(AppProcess.FreePort()), commandLine.Split(' '));
        Assert.True(exit == 0, output + error);
        Assert.DoesNotContain("Cannot connect", output + error);
        Assert.DoesNotContain("info:", output);
        // not the empty line the command line writes before any verb runs
        Assert.False(output.StartsWith('\n'), output);
        if (commandLine.Contains("export")) Assert.Contains("dotnet run -- export", output);
    }

    [Theory]
    [InlineData("bogus", "'bogus' is not a command", "The available commands are")]
    [InlineData("help bogus", "'bogus' is not a command", "The available commands are")]
    [InlineData("help a b", "Unknown argument or flag for value b", "Invalid usage")]
    [InlineData("export --bogus", "Unknown argument or flag for value --bogus", "dotnet run -- export")]
    [InlineData("replay --pair US-BY --bogus", "Unknown argument or flag for value --bogus", "dotnet run -- replay")]
    [InlineData("db-apply --bogus", "Unknown argument or flag for value --bogus", "dotnet run -- db-apply")]
    [InlineData("--bogus", "Unknown argument or flag for value --bogus", "dotnet run -- run")]
    public async Task an_unknown_verb_or_flag_is_refused_on_standard_error_with_the_usage_before_the_database_is_reached(string commandLine, string says, string usage)
    {
        var (exit, output, error) = await RunOn(Closed(AppProcess.FreePort()), commandLine.Split(' '));
        Assert.Equal((1, ""), (exit, output));
        Assert.Contains(says, error);
        Assert.Contains(usage, error);
        Assert.DoesNotContain("Cannot connect", error);
    }

    private static string Closed(int port) => $"Host=127.0.0.1;Port={port};Username=ledger;Password=ledger;Database=ledger";

    /// <summary>One line on standard error naming where and why, a non-zero exit, and no stack trace anywhere.</summary>
    private static void SaysItCannotConnect(int port, (int Exit, string Output, string Error) run)
    {
        Assert.True(run.Exit != 0, run.Output + run.Error);
        Assert.Single(run.Error.Split('\n'), line => line.Contains($"Cannot connect to PostgreSQL at 127.0.0.1:{port} — Connection refused"));
        Assert.DoesNotContain("Exception", run.Output + run.Error);
    }

    [Fact]
    public async Task export_to_standard_output_writes_only_the_events_there()
    {
        await Seeds.LoadAsync(Ct);
        var (exit, output, error) = await AppProcess.RunAsync([AppProcess.AppDll, "export", "--pair", "US-BY"],
            new Dictionary<string, string?> { ["ConnectionStrings__Ledger"] = App.ConnectionString }, Ct);
        Assert.True(exit == 0, error);
        // the host's logs went to standard error; what is left reads back as an import file
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(await App.EventCountAsync(), lines.Length);
        Assert.All(lines, line => Assert.Equal("BY-US", (string?)JsonNode.Parse(line)!["pair"]));
        Assert.Contains($"{lines.Length} events written to standard output", error);
        // a pair with no events (a mistyped one, say) is said so beside the empty output
        var (noneExit, none, noneError) = await AppProcess.RunAsync([AppProcess.AppDll, "export", "--pair", "US-FR"],
            new Dictionary<string, string?> { ["ConnectionStrings__Ledger"] = App.ConnectionString }, Ct);
        Assert.Equal((0, ""), (noneExit, none.Trim()));
        Assert.Contains("0 events written to standard output: FR-US has none", noneError);
    }

    [Fact]
    public async Task a_verb_run_as_the_readme_writes_it_reads_and_writes_files_where_it_is_typed()
    {
        await Seeds.LoadAsync(Ct);
        // `dotnet run --project src/RelationsLedger -- export --out FILE`, typed in some folder
        var appFolder = Path.GetDirectoryName(AppProcess.AppDll)!;
        var project = new DirectoryInfo(appFolder);
        while (!File.Exists(Path.Combine(project.FullName, "RelationsLedger.csproj"))) project = project.Parent!;
        var here = Directory.CreateTempSubdirectory("relationsledger-verb-");
        var name = $"export-{Guid.NewGuid():N}.ndjson";
        try
        {
            var (exit, output, error) = await AppProcess.RunAsync(
                ["run", "--no-build", "-c", new DirectoryInfo(appFolder).Parent!.Name, "--project", project.FullName, "--", "export", "--pair", "US-BY", "--out", name],
                new Dictionary<string, string?> { ["ConnectionStrings__Ledger"] = App.ConnectionString }, Ct, here.FullName);
            Assert.True(exit == 0, output + error);
            Assert.False(File.Exists(Path.Combine(project.FullName, name)), "written in the project's folder, not where the verb was typed");
            Assert.Equal(await App.EventCountAsync(), (await File.ReadAllLinesAsync(Path.Combine(here.FullName, name), Ct)).Length);
        }
        finally
        {
            here.Delete(recursive: true);
            File.Delete(Path.Combine(project.FullName, name));
        }
    }

    private async Task<(int Exit, string Output)> Run(params string[] args)
    {
        var (exit, output, error) = await RunOn(App.ConnectionString, args);
        return (exit, output + error);
    }

    private static Task<(int Exit, string Output, string Error)> RunOn(string connectionString, params string[] args) =>
        AppProcess.VerbAsync(connectionString, Ct, args);
}
