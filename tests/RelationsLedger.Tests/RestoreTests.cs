using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Seeding;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary><c>import --as-recorded</c>: an export restored into an empty ledger keeps where, when and by whom each
/// event was recorded, so the reads as known at an instant, or pinned to a basis, answer as before.</summary>
public sealed class RestoreTests(LedgerApp app) : ApiTest(app)
{
    private Appending Appending => App.Services.GetRequiredService<Appending>();

    [Fact]
    public async Task an_export_restored_as_recorded_answers_every_read_as_known_at_every_instant_as_the_ledger_it_came_from()
    {
        await App.Services.GetRequiredService<Seeds>().LoadAsync(Ct);
        using var newsroom = App.CreateClient(LedgerApp.NewsroomKey);
        var receipts = new List<JsonObject>();
        async Task<Guid> As(HttpClient client, string pair, JsonObject body)
        {
            var receipt = await Record(pair, body, client);
            receipts.Add(receipt);
            return Guid.Parse((string)receipt["eventId"]!);
        }
        var release = await As(Http, "LT-BY", Samples.Event("PrisonersReleased", "2025-09-11"));
        // a sequence drawn and never used, as a failed write leaves one: the restore fills it with a tombstone
        await App.ExecuteAsync("select nextval('ledger.mt_events_sequence')", Ct);
        var closed = await As(newsroom, "LT-BY", Samples.Event("EmbassyClosed", "2021-08-01", new JsonObject { ["embassyOf"] = "LT", ["city"] = "Minsk", ["mode"] = "closed" }));
        await As(newsroom, "LT-BY", Samples.Correction(release, new JsonObject { ["summary"] = "52 freed" }));
        await As(Http, "US-BY", Samples.Event("StatementMade", "2008-03-12"));
        await As(Http, "LT-BY", Samples.Citation(release));
        await As(newsroom, "LT-BY", Samples.Retraction(closed));
        await App.WaitForProjectionsAsync();
        var gap = (long)receipts[0]["sequence"]! + 1;

        // instants between the writes (each receipt's, and just before it), and a basis at each
        var instants = receipts.SelectMany(r => new[] { DateTimeOffset.Parse((string)r["recordedAt"]!), DateTimeOffset.Parse((string)r["recordedAt"]!).AddTicks(-10) })
            .Select(i => Uri.EscapeDataString(i.ToString("O"))).ToList();
        var bases = receipts.Select(r => (long)r["sequence"]!).Prepend(gap).Prepend(3).ToList();
        async Task<List<string>> Answers()
        {
            var urls = new List<string> { "/api/relations", $"/api/events/{release}", $"/api/events/{closed}" };
            foreach (var pair in new[] { "US-BY", "LT-BY" })
            {
                urls.AddRange(instants.SelectMany(i => new[] { $"/api/relations/{pair}/state?asOf=2025-12-31&knownAt={i}", $"/api/relations/{pair}/timeline?knownAt={i}&includeRetracted=true" }));
                urls.AddRange(bases.Select(b => $"/api/relations/{pair}/state?asOf=2025-09-11&basis={b}"));
                urls.Add($"/api/relations/{pair}/diff?from=2008-01-01&to=2025-12-31&basis={bases[^1]}");
            }
            return [.. await Task.WhenAll(urls.Select(async url => $"{url} {(await GetJson(url)).ToJsonString()}"))];
        }
        var before = await Answers();
        var export = await ExportAsync();
        Assert.Contains("\"by\":\"newsroom\"", export);
        Assert.Contains("\"by\":\"seed:us-by.ndjson\"", export);

        await App.ResetAsync();
        var lines = Importer.ReadLines(new StringReader(export)).ToList();
        var result = await Importer.ImportAsync(Appending, lines, new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
        Assert.Empty(result.Problems);
        Assert.Equal(lines.Count, result.Appended);
        await App.WaitForProjectionsAsync();

        Assert.Equal(export, await ExportAsync());
        var after = await Answers();
        foreach (var (b, a) in before.Zip(after)) Assert.Equal(b, a);
        Assert.Equal(EventRowsTombstone, await ScalarAsync($"select type from ledger.mt_events where seq_id = {gap}"));
        // a new event comes after the restored ones, recorded now
        var next = await Record("LT-BY", Samples.Event("StatementMade", "2025-10-01"));
        Assert.True((long)next["sequence"]! > bases.Max(), next.ToJsonString());
        Assert.True(DateTimeOffset.Parse((string)next["recordedAt"]!) > DateTimeOffset.Parse((string)receipts[^1]["recordedAt"]!));
        Assert.Equal("default", (string?)(await GetJson($"/api/events/{next["eventId"]}"))["recordedBy"]);
    }

    [Fact]
    public async Task a_restore_writes_nothing_unless_the_ledger_is_empty_and_the_file_says_where_and_when_each_line_was_recorded()
    {
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        static string Line(string? recorded)
        {
            var line = Samples.Event("StatementMade", "2024-05-01");
            line["pair"] = "US-BY";
            if (recorded is not null) line["recorded"] = JsonNode.Parse(recorded);
            return line.ToJsonString();
        }
        static string Recorded(long sequence, DateTimeOffset when, long? version = null, string? by = "default") =>
            new JsonObject { ["sequence"] = sequence, ["version"] = version, ["at"] = when, ["by"] = by }.ToJsonString();
        async Task<Problems> Restore(params string[] file)
        {
            var result = await Importer.ImportAsync(Appending, Importer.ReadLines(new StringReader(string.Join('\n', file))), new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
            Assert.Equal(0, await App.EventCountAsync());
            return result.Problems;
        }

        Assert.Equal(["line 1.recorded"], (await Restore(Line(null))).Keys);
        Assert.Equal(["line 2.recorded.sequence"], (await Restore(Line(Recorded(5, at)), Line(Recorded(4, at)))).Keys);
        Assert.Equal(["line 2.recorded.version"], (await Restore(Line(Recorded(1, at, 1)), Line(Recorded(2, at, 3)))).Keys);
        Assert.Equal(["line 1.recorded.at"], (await Restore(Line(Recorded(1, DateTimeOffset.UtcNow.AddHours(1))))).Keys);
        Assert.Equal(["line 1.recorded.at"], (await Restore(Line("""{"sequence":1,"at":"2025-09-11T10:00:00"}"""))).Keys);
        Assert.Equal(["line 1.recorded.by"], (await Restore(Line(Recorded(1, at, by: "a\nb")))).Keys);
        Assert.Equal(["line 1.recorded.by"], (await Restore(Line(Recorded(1, at, by: new string('n', Stamp.MaxWriter + 1))))).Keys);
        Assert.Equal(["line 1.recorded.sequence"], (await Restore(Line("""{"sequence":0,"at":"2025-09-11T10:00:00Z"}"""))).Keys);
        Assert.Equal(["line 2.recorded.sequence"], (await Restore(Line(Recorded(1, at)), Line(Recorded(RelationsLedger.Relations.Importing.Restore.MaxSkipped + 3, at)))).Keys);

        await Record("US-BY", Samples.Event("StatementMade", "2024-05-01"));
        var taken = await Importer.ImportAsync(Appending, Importer.ReadLines(new StringReader(Line(Recorded(9, at)))), new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
        Assert.Equal(["ledger"], taken.Problems.Keys);
        Assert.Contains("empty ledger: this one has 1 events", taken.Problems["ledger"][0]);
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_writer_with_the_longest_name_a_key_may_have_is_restored_and_found_by_the_logs_filter()
    {
        var writer = new string('n', Stamp.MaxWriter);
        var line = Samples.Event("StatementMade", "2024-05-01");
        line["pair"] = "US-BY";
        line["recorded"] = new JsonObject { ["sequence"] = 1, ["at"] = DateTimeOffset.UtcNow.AddDays(-1), ["by"] = writer };
        var result = await Importer.ImportAsync(Appending, Importer.ReadLines(new StringReader(line.ToJsonString())), new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
        Assert.Empty(result.Problems);
        var found = (await GetJson($"/api/events?recordedBy={writer}"))["events"]!.AsArray();
        Assert.Equal(writer, (string)Assert.Single(found)!["recorded"]!["by"]!);
        Assert.Contains($"\"by\":\"{writer}\"", await ExportAsync());
    }

    [Fact]
    public async Task an_event_a_ledger_accepted_before_a_rule_was_added_is_restored_as_recorded_and_refused_as_new()
    {
        // a breakdown adding up to more than its count, accepted before session 40
        var line = Samples.Event("PrisonersReleased", "2024-05-01", new JsonObject { ["releasedBy"] = "BY", ["count"] = 1, ["byNationality"] = new JsonObject { ["US"] = 2 } });
        line["pair"] = "US-BY";
        var asNew = await Importer.ImportAsync(Appending, Importer.ReadLines(new StringReader(line.ToJsonString())), new DateOnly(2026, 1, 1), ct: Ct);
        Assert.Equal(["line 1.data.byNationality"], asNew.Problems.Keys);
        line["recorded"] = new JsonObject { ["sequence"] = 1, ["at"] = DateTimeOffset.UtcNow.AddDays(-1), ["by"] = "default" };
        var restored = await Importer.ImportAsync(Appending, Importer.ReadLines(new StringReader(line.ToJsonString())), new DateOnly(2026, 1, 1), ct: Ct, asRecorded: true);
        Assert.Empty(restored.Problems);
        Assert.Contains("\"byNationality\":{\"US\":2}", await ExportAsync());
    }

    [Fact]
    public async Task the_import_verb_restores_only_when_no_api_node_runs_on_the_database_or_with_force()
    {
        var file = Path.GetTempFileName();
        try
        {
            await Record("US-BY", Samples.Event("StatementMade", "2024-05-01"));
            await File.WriteAllTextAsync(file, await ExportAsync(), Ct);
            await App.ResetAsync();

            // this test's host is such a node: it checks in every second
            var (exit, output, error) = await Run("import", file, "--as-recorded");
            Assert.True(exit != 0, output + error);
            Assert.Matches(@"API nodes run on this database \(node \d+, last seen [\d.]+ s ago\): stop them first", output + error);
            (exit, output, error) = await Run("import", file, "--force");
            Assert.True(exit != 0, output + error);
            Assert.Contains("--force is for a restore", output + error);
            Assert.Equal(0, await App.EventCountAsync());

            (exit, output, error) = await Run("import", file, "--as-recorded", "--force");
            Assert.True(exit == 0, output + error);
            Assert.Contains("1 events restored", output);
            Assert.Equal(await File.ReadAllTextAsync(file, Ct), await ExportAsync());
        }
        finally { File.Delete(file); }
    }

    private const string EventRowsTombstone = RelationsLedger.Relations.EventRows.Tombstone;

    private async Task<string> ExportAsync()
    {
        var writer = new StringWriter();
        await using var session = App.Store.QuerySession();
        await ExportCommand.ExportAsync(session, null, writer);
        return writer.ToString();
    }

    private async Task<string?> ScalarAsync(string sql)
    {
        await using var session = App.Store.QuerySession();
        return (await session.QueryAsync<string>(sql, Ct)).SingleOrDefault();
    }

    private Task<(int Exit, string Output, string Error)> Run(params string[] args) =>
        AppProcess.VerbAsync(App.ConnectionString, Ct, args);
}
