using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RelationsLedger.Relations.Replaying;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

public sealed class ConcurrencyTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task eight_writers_racing_with_expected_versions_win_each_version_exactly_once()
    {
        const int target = 40;
        var wins = new ConcurrentBag<long>();
        var conflicts = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            using var http = App.CreateClient();
            while (true)
            {
                var state = JsonNode.Parse(await http.GetStringAsync("/api/relations/US-BY/state", Ct))!;
                var version = (long)state["basis"]!["version"]!;
                if (version >= target) return;
                var body = Samples.Event("LeadersSpoke", "2025-08-15", summary: $"writer {w} at {version}");
                body["expectedVersion"] = version;
                var response = await http.PostAsync("/api/relations/US-BY/events", System.Net.Http.Json.JsonContent.Create(body), Ct);
                if (response.StatusCode == HttpStatusCode.Created)
                    wins.Add((long)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["version"]!);
                else
                {
                    Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                    Interlocked.Increment(ref conflicts);
                }
            }
        }, Ct)).ToList();
        await Task.WhenAll(writers);

        Assert.Equal(Enumerable.Range(1, target).Select(v => (long)v), wins.Order());
        await using var session = App.Store.QuerySession();
        var versions = (await session.Events.FetchStreamAsync("BY-US", token: Ct)).Select(e => e.Version).ToList();
        Assert.Equal(Enumerable.Range(1, target).Select(v => (long)v), versions);
        Assert.True(conflicts > 0, "the writers never raced");
        TestContext.Current.TestOutputHelper?.WriteLine($"concurrency: {target} versions won, {conflicts} conflicts answered 409");
    }

    [Fact]
    public async Task concurrent_appends_share_transactions_and_one_that_fails_in_a_shared_transaction_fails_no_other()
    {
        var pairs = new[] { "US-BY", "LT-BY", "PL-BY", "DE-BY", "FR-BY", "GB-BY", "JP-BY", "CA-BY" };
        var acknowledged = new List<Guid>();
        var (rounds, shared) = (0, false);
        await using (var fault = await InjectedFault.InstallAsync(App.ConnectionString, Ct))
        {
            // alone, the failing write leaves one tombstone; in a shared transaction every write's sequence is one,
            // and the others are then written each on its own
            for (; rounds < 10 && !shared; rounds++)
            {
                var before = await fault.TombstonesAsync();
                var bad = rounds % pairs.Length;
                var bodies = pairs.Select((_, i) => Samples.Event("LeadersSpoke", "2025-08-15", eventId: Guid.NewGuid(), summary: i == bad ? InjectedFault.Marker : null)).ToList();
                var responses = await Task.WhenAll(pairs.Select((pair, i) => PostEvent(pair, bodies[i])));
                for (var i = 0; i < pairs.Length; i++)
                {
                    Assert.Equal(i == bad, responses[i].StatusCode != HttpStatusCode.Created);
                    if (i != bad) acknowledged.Add(Guid.Parse((string)bodies[i]["eventId"]!));
                }
                shared = await fault.TombstonesAsync() - before > 1;
            }
        }
        Assert.True(shared, "the failing write never shared a transaction");

        await using var connection = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        async Task<Dictionary<Guid, string>> Stored()
        {
            await using var read = new Npgsql.NpgsqlCommand("select id, xmin::text from ledger.mt_events where type <> 'tombstone'", connection);
            var ids = new Dictionary<Guid, string>();
            await using var reader = await read.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0), reader.GetString(1));
            return ids;
        }
        // the rounds above may have shared a transaction only where it failed (its writes then went alone): healthy
        // rounds show the sharing in the stored rows
        var stored = await Stored();
        for (var healthy = 0; healthy < 10 && stored.Values.Distinct().Count() == stored.Count; healthy++)
        {
            var bodies = pairs.Select(_ => Samples.Event("LeadersSpoke", "2025-08-16", eventId: Guid.NewGuid())).ToList();
            var responses = await Task.WhenAll(pairs.Select((pair, i) => PostEvent(pair, bodies[i])));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            acknowledged.AddRange(bodies.Select(b => Guid.Parse((string)b["eventId"]!)));
            stored = await Stored();
        }
        Assert.Equal(acknowledged.Order(), stored.Keys.Order());
        Assert.True(stored.Values.Distinct().Count() < stored.Count, "no two appends shared a transaction");
        TestContext.Current.TestOutputHelper?.WriteLine($"group commit: {stored.Count} appends in {stored.Values.Distinct().Count()} transactions, {rounds} rounds");
    }

    [Fact]
    public async Task a_read_as_known_at_an_instant_waits_for_a_write_stamped_before_it_and_still_committing()
    {
        await using var held = HeldWrite.Install(App);
        var append = Record("US-BY", Samples.Event("LeadersSpoke", "2025-08-15"));
        await held.Stamped.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // an instant after the write's stamp, while its transaction is still open
        await using var connection = new NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var clock = new NpgsqlCommand("select clock_timestamp()", connection);
        var knownAt = new DateTimeOffset((DateTime)(await clock.ExecuteScalarAsync(Ct))!);
        var read = GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&knownAt={Uri.EscapeDataString(knownAt.ToString("O"))}");
        await Task.Delay(300, Ct);
        // an instant still ahead cannot be settled: it is answered at once, as the newest knowledge
        var ahead = await GetJson("/api/relations/US-BY/state?asOf=2025-12-31&knownAt=2100-01-01T00:00:00Z").WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(read.IsCompleted);
        held.Release();
        var receipt = await append;
        Assert.True((DateTimeOffset)receipt["recordedAt"]! <= knownAt);
        // without the wait the read answered at once, without the event recorded before its instant
        Assert.Equal((long)receipt["sequence"]!, (long)(await read)["basis"]!["sequence"]!);
        Assert.True((long)ahead["basis"]!["sequence"]! < (long)receipt["sequence"]!);
    }

    [Fact]
    public async Task a_read_at_a_basis_waits_for_a_write_of_another_pair_that_drew_a_lower_sequence()
    {
        await using var held = HeldWrite.Install(App);
        var append = Record("US-BY", Samples.Event("SanctionsImposed", "2025-08-15"));
        await held.Stamped.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // another pair's write draws a higher sequence and commits while the first is still open
        var basis = (long)(await Record("US-RU", Samples.Event("LeadersSpoke", "2025-08-16")))["sequence"]!;
        var state = GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&basis={basis}");
        var register = GetJson($"/api/sanctions?asOf=2025-12-31&basis={basis}");
        await Task.Delay(300, Ct);
        // a sequence not drawn yet cannot be settled: answered at once, as the newest knowledge
        var ahead = await GetJson($"/api/relations/US-BY/state?asOf=2025-12-31&basis={basis + 1000}").WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(state.IsCompleted);
        Assert.False(register.IsCompleted);
        held.Release();
        var receipt = await append;
        Assert.True((long)receipt["sequence"]! < basis);
        // without the wait both answered at once, without the event drawn below their basis
        Assert.Equal((long)receipt["sequence"]!, (long)(await state)["basis"]!["sequence"]!);
        Assert.Single((await register)["sanctions"]!.AsArray());
        Assert.Equal(0, (long)ahead["basis"]!["sequence"]!);
    }

    [Fact]
    public async Task the_log_waits_for_a_write_of_another_pair_that_drew_a_lower_sequence_so_its_cursor_never_passes_an_event()
    {
        await using var held = HeldWrite.Install(App);
        var append = Record("US-BY", Samples.Event("SanctionsImposed", "2025-08-15"));
        await held.Stamped.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var later = await Record("US-RU", Samples.Event("LeadersSpoke", "2025-08-16"));
        var page = GetJson("/api/events");
        await Task.Delay(300, Ct);
        // without the wait it listed the later event alone, and its next link (after it) skipped the first for ever
        Assert.False(page.IsCompleted);
        held.Release();
        var first = await append;
        Assert.True((long)first["sequence"]! < (long)later["sequence"]!);
        var listed = await page;
        Assert.Equal([(long)first["sequence"]!, (long)later["sequence"]!], listed["events"]!.AsArray().Select(e => (long)e!["recorded"]!["sequence"]!));
        Assert.Equal($"/api/events?after={later["sequence"]}", (string?)listed["next"]);
    }

    [Fact]
    public async Task a_register_at_a_basis_not_drawn_yet_looks_it_up_once_not_once_per_pair()
    {
        var last = 0L;
        foreach (var pair in new[] { "US-BY", "US-RU", "BY-LT", "BY-PL" })
            last = (long)(await Record(pair, Samples.Event("SanctionsImposed", "2025-08-15")))["sequence"]!;
        var horizon = Relations.Recording.RecordedHorizon.Of(App.Store);
        var before = horizon.Lookups;
        var register = await GetJson($"/api/sanctions?asOf=2025-12-31&basis={last + 1000}");
        Assert.Equal(4, register["sanctions"]!.AsArray().Count);
        Assert.Equal(1, horizon.Lookups - before);
    }

    [Fact]
    public async Task an_instant_the_database_has_not_reached_is_waited_for_at_most_once()
    {
        // a register folds pair after pair, each read settling the request's knownAt: an instant a few seconds ahead
        // cannot be settled, and took a barrier (the writers held up) for every pair
        await using var connection = new NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var clock = new NpgsqlCommand("select clock_timestamp()", connection);
        var ahead = new DateTimeOffset((DateTime)(await clock.ExecuteScalarAsync(Ct))!).AddSeconds(20);
        var horizon = Relations.Recording.RecordedHorizon.Of(App.Store);
        var before = horizon.Barriers;
        for (var pair = 0; pair < 5; pair++) await horizon.SettleAsync(ahead, Ct);
        Assert.InRange(horizon.Barriers - before, 0, 1);
        Assert.True(horizon.Settled < ahead);
    }

    [Fact]
    public async Task a_reply_lost_after_a_commit_is_answered_as_recorded_and_nothing_is_written_twice()
    {
        var writer = App.Services.GetRequiredService<Relations.Recording.StreamWriter>();
        var (lose, lostAlone, lostShared) = (0, 0, 0);
        writer.Committed = writes =>
        {
            if (Interlocked.Exchange(ref lose, 0) == 1)
            {
                if (writes > 1) Interlocked.Increment(ref lostShared);
                else Interlocked.Increment(ref lostAlone);
                throw new NpgsqlException("injected: the connection closed before the reply to commit");
            }
            return Task.CompletedTask;
        };
        try
        {
            // alone, with an expected version and a server-chosen id: retried, it would be a stale version or a second event
            lose = 1;
            var body = Samples.Event("LeadersSpoke", "2025-08-15");
            body["expectedVersion"] = 0;
            var receipt = await Record("US-BY", body);
            Assert.Equal(1, lostAlone);
            Assert.Equal(1L, (long)receipt["version"]!);

            // in a shared transaction: each write retried alone would be told its event id was taken
            var pairs = new[] { "LT-BY", "PL-BY", "DE-BY", "FR-BY", "GB-BY", "JP-BY", "CA-BY", "SE-BY" };
            for (var round = 0; round < 20 && lostShared == 0; round++)
            {
                lose = 1;
                var bodies = pairs.Select(_ => Samples.Event("LeadersSpoke", "2025-08-16", eventId: Guid.NewGuid())).ToList();
                var responses = await Task.WhenAll(pairs.Select((pair, i) => PostEvent(pair, bodies[i])));
                foreach (var response in responses)
                    Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
            }
            Assert.True(lostShared > 0, "no lost reply hit a shared transaction");
        }
        finally { writer.Committed = null; }

        await using var connection = new NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var count = new NpgsqlCommand("select count(*), count(distinct id), count(*) filter (where stream_id = 'BY-US') from ledger.mt_events where type <> 'tombstone'", connection);
        await using var reader = await count.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(1, reader.GetInt64(2));
    }

    [Fact]
    public async Task concurrent_corrections_of_one_fact_leave_the_timeline_rows_a_rebuild_writes()
    {
        var target = Guid.Parse((string)(await Record("US-BY", Samples.Event("PrisonersReleased", "2025-05-01")))["eventId"]!);
        // corrections of different fields: each row must include every earlier correction, whichever transaction it was in
        var patches = Enumerable.Range(0, 8).Select(w => w % 2 == 0
            ? new JsonObject { ["summary"] = $"corrected by writer {w}" }
            : new JsonObject { ["data"] = new JsonObject { ["releasedBy"] = "BY", ["count"] = 10 + w } }).ToList();
        var responses = await Task.WhenAll(patches.Select(async (patch, w) =>
            new[] { await PostEvent("US-BY", Samples.Correction(target, patch)), await PostEvent("US-BY", Samples.Event("LeadersSpoke", $"2025-06-{w + 1:00}")) }));
        foreach (var response in responses.SelectMany(r => r))
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));

        async Task<List<string>> Rows()
        {
            await using var session = App.Store.QuerySession();
            return (await session.QueryAsync<string>("select id::text || ' ' || pair || ' ' || effective::text || ' ' || sequence::text || ' ' || data::text from ledger.mt_doc_timelineentry order by id", Ct)).ToList();
        }
        var appended = await Rows();
        await App.RebuildAsync(Ct);
        Assert.Equal(await Rows(), appended);
    }

    [Fact]
    public async Task a_timeline_read_page_by_page_while_backdated_facts_are_recorded_skips_none_of_its_basis()
    {
        var batch = new JsonArray([.. Enumerable.Range(0, 300).Select(i => (JsonNode)Samples.Event("StatementMade", $"20{10 + i / 30:00}-0{1 + i % 9}-1{i % 10}", summary: $"fact {i}"))]);
        Assert.Equal(HttpStatusCode.Created, (await Http.PostAsync("/api/relations/CZ-PL/events/batch", System.Net.Http.Json.JsonContent.Create(batch), Ct)).StatusCode);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var backdated = 0;
        // facts dated before every page's cursor: one recorded while a first page is read would be missing from it,
        // and the pages after its cursor would never show it
        var writer = Task.Run(async () =>
        {
            using var http = App.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                var body = Samples.Event("StatementMade", $"19{50 + backdated % 50}-01-01", summary: $"backdated {backdated}");
                await http.PostAsync("/api/relations/CZ-PL/events", System.Net.Http.Json.JsonContent.Create(body), CancellationToken.None);
                backdated++;
            }
        }, Ct);
        static List<string> Ids(JsonNode page) => [.. page["events"]!.AsArray().Select(e => (string)e!["eventId"]!)];
        try
        {
            for (var read = 0; read < 60; read++)
            {
                var first = await GetJson("/api/relations/CZ-PL/timeline?limit=250");
                var next = (string)first["next"]!;
                var basis = System.Web.HttpUtility.ParseQueryString(new Uri(new Uri("http://x"), next).Query)["basis"];
                var paged = Ids(first).Concat(Ids(await GetJson(next.Replace("limit=250", "limit=10000")))).ToList();
                var whole = Ids(await GetJson($"/api/relations/CZ-PL/timeline?limit=10000&basis={basis}"));
                Assert.Equal(whole, paged);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
        Assert.True(backdated > 10, $"only {backdated} facts were recorded meanwhile");
    }
}

/// <summary>Holds the writer's next transaction open between its stamp (sequences drawn, recorded time taken) and its
/// commit, until released or disposed.</summary>
internal sealed class HeldWrite : IAsyncDisposable
{
    private readonly Relations.Recording.StreamWriter _writer;
    private readonly TaskCompletionSource _stamped = new(), _release = new();
    private int _held;

    private HeldWrite(Relations.Recording.StreamWriter writer) => _writer = writer;

    public static HeldWrite Install(LedgerApp app)
    {
        var held = new HeldWrite(app.Services.GetRequiredService<Relations.Recording.StreamWriter>());
        held._writer.Stamped = async () =>
        {
            if (Interlocked.Exchange(ref held._held, 1) == 1) return;
            held._stamped.SetResult();
            await held._release.Task;
        };
        return held;
    }

    public Task Stamped => _stamped.Task;

    public void Release() => _release.TrySetResult();

    public ValueTask DisposeAsync()
    {
        Release();
        _writer.Stamped = null;
        return ValueTask.CompletedTask;
    }
}
