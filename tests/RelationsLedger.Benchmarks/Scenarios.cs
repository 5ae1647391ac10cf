using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Marten;
using Marten.Events;
using Npgsql;
using NpgsqlTypes;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Benchmarks;

public sealed record Sizes(int WarmUpAppendsPerClient, int AppendsPerClient, int ImportEvents, int BatchEvents, int SmallPair, int LargePair, int Reads, int BaselineReads, int RebuildBudgetSeconds)
{
    public static readonly Sizes Quick = new(100, 100, 20_000, 10_000, 1_000, 10_000, 100, 10, 8);
    public static readonly Sizes Full = new(3_000, 4_000, 1_000_000, 200_000, 1_000, 100_000, 1_000, 20, 120);
}

/// <summary>The app as a Release process on loopback, over a durable (fsync on) PostgreSQL cluster shared with the baselines.</summary>
public sealed class Scenarios(string connectionString, Sizes sizes, string appDll, IReadOnlySet<string> only)
{
    public const string ApiKey = "benchmark-key";
    private const int Clients = 8;
    private readonly List<Figure> _figures = [];
    private Process? _app;
    private Uri _address = null!;

    public IReadOnlyList<Figure> Figures => _figures;

    private void Add(Figure figure)
    {
        _figures.Add(figure);
        Console.WriteLine($"measured: {figure.Name}: {figure.Project:0.###} {figure.Unit} (baseline {figure.Baseline:0.###})");
    }

    public async Task RunAsync()
    {
        await ColdStartAndAppends(measure: Wanted("append"));
        if (Wanted("import")) await ImportAndCopy();
        if (Wanted("batch")) await BatchImport();
        if (Wanted("asof"))
        {
            await AsOfReads();
            // last, so that the in-process reads above share the machine with an idle API, as before searches existed
            await TimelineSearch();
            await Memory("right after the timeline searches");
            // the app trims its heap after 10 s without allocating (Ledger:Memory:TrimAfterIdleSeconds)
            await Task.Delay(TimeSpan.FromSeconds(15));
        }
        // the API has been idle since its last request (the in-process reads and baselines above run without it)
        await Memory("after the load, idle");
        // the rebuild runs with the API stopped as an operator stops it: SIGTERM, so the node leaves the cluster's table
        // (the verb refuses while a node checks in)
        using (var term = Process.Start("kill", ["-TERM", _app!.Id.ToString()])!) await term.WaitForExitAsync();
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            try { await _app.WaitForExitAsync(stopping.Token); }
            catch (OperationCanceledException) { _app.Kill(entireProcessTree: true); await _app.WaitForExitAsync(); }
        if (Wanted("rebuild")) await RebuildProjections();
    }

    private bool Wanted(string scenario) => only.Count == 0 || only.Contains(scenario);

    private HttpClient Client()
    {
        var http = new HttpClient { BaseAddress = _address, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return http;
    }

    /// <summary>One synthetic event as a client posts it: no pair (the route names it), no client id.</summary>
    private static JsonObject Payload(int i)
    {
        var e = SyntheticHistory.Events(i, ["BY-US"], 1).First();
        e.Remove("pair");
        e.Remove("eventId");
        return e;
    }

    private async Task ColdStartAndAppends(bool measure)
    {
        var port = FreePort();
        _address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { appDll, "--urls", _address.ToString() }) start.ArgumentList.Add(arg);
        start.Environment["ConnectionStrings__Ledger"] = connectionString;
        start.Environment["Ledger__SeedOnStart"] = "false";
        start.Environment["Ledger__ApiKey"] = ApiKey;
        start.Environment["Ledger__RateLimit__PermitsPerMinute"] = "100000000";
        // the harness's own first request (JIT of its HTTP client and JSON, on the same 2 cores) is not the app's start
        var payload = Payload(0).ToJsonString();
        using var http = Client();
        http.Timeout = TimeSpan.FromSeconds(5);
        using (var warm = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
            try { await warm.PostAsync($"http://127.0.0.1:{FreePort()}/", new StringContent(payload, Encoding.UTF8, "application/json")); }
            catch (HttpRequestException) { }
        var clock = Stopwatch.StartNew();
        _app = Process.Start(start)!;
        _app.OutputDataReceived += (_, _) => { };
        _app.ErrorDataReceived += (_, _) => { };
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        while (true)
        {
            try
            {
                var response = await http.PostAsync("/api/relations/BY-US/events", new StringContent(payload, Encoding.UTF8, "application/json"));
                if (response.StatusCode == HttpStatusCode.Created) break;
            }
            catch (HttpRequestException) { }
            if (clock.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException("the app did not start");
            await Task.Delay(20);
        }
        var coldStart = clock.Elapsed.TotalSeconds;
        Add(new Figure("cold start: process start to first 201", coldStart, null, "s", "≤ 3 s", coldStart <= 3));
        if (!measure) return;

        // steady state: the runtime's tiered JIT recompiles the hot paths during the first thousands of requests,
        // and on 2 cores that work would be measured as the app's. Wolverine assigns the summary projection to the node
        // seconds after it starts, about when the warm-up ends: its start (the JIT of its code, the catch-up of the
        // warm-up's events) is not the steady state either, so the measured appends begin once it has caught up
        var pairs = SyntheticHistory.Pairs(Clients);
        await Appends(pairs, Bodies(sizes.WarmUpAppendsPerClient, 50_000));
        await CaughtUp(minutes: 2);
        var bodies = Bodies(sizes.AppendsPerClient, 0);
        var gc = await GcTotals(http);
        var (appCpu, ownCpu) = (CpuTime(_app), CpuTime(Process.GetCurrentProcess()));
        clock.Restart();
        var latencies = await Appends(pairs, bodies);
        var window = clock.Elapsed.TotalSeconds;
        var appendRate = Clients * sizes.AppendsPerClient / window;
        // CPU per append moves far less between runs than the rate does, which shares two cores with everything else
        var perAppend = 1e6 / (Clients * sizes.AppendsPerClient);
        (appCpu, ownCpu) = ((CpuTime(_app) - appCpu) * perAppend, (CpuTime(Process.GetCurrentProcess()) - ownCpu) * perAppend);
        // the scrape endpoint answers from a cache of 300 ms, which a quick run's window is shorter than
        await Task.Delay(TimeSpan.FromSeconds(1));
        var gcAfter = await GcTotals(http);
        var all = latencies.SelectMany(l => l).ToList();
        var (allocated, paused) = ((gcAfter.Allocated - gc.Allocated) / 1024 * perAppend / 1e6, (gcAfter.Paused - gc.Paused) / window);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand("drop table if exists bench_raw; create table bench_raw (id uuid primary key, pair text not null, body jsonb not null)", connection).ExecuteNonQueryAsync();
        var body = Payload(1).ToJsonString();
        async Task RawInserts(int perClient) => await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            await using var own = new NpgsqlConnection(connectionString);
            await own.OpenAsync();
            for (var i = 0; i < perClient; i++)
            {
                await using var insert = new NpgsqlCommand("insert into bench_raw (id, pair, body) values ($1, $2, $3)", own);
                insert.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
                insert.Parameters.Add(new NpgsqlParameter { Value = pairs[c] });
                insert.Parameters.Add(new NpgsqlParameter { Value = body, NpgsqlDbType = NpgsqlDbType.Jsonb });
                await insert.ExecuteNonQueryAsync();
            }
        }));
        // the baseline runs on a quiet machine: the projection's work on the last appends is not its to share. It warms
        // up as long as the app did: after a tenth as many inserts its client was still being recompiled, and measured
        // 10–12k rows/s against 15–16k warm, which flattered the ratio by half (session 42)
        await CaughtUp();
        await RawInserts(sizes.WarmUpAppendsPerClient);
        clock.Restart();
        await RawInserts(sizes.AppendsPerClient);
        var rawRate = Clients * sizes.AppendsPerClient / clock.Elapsed.TotalSeconds;
        Add(new Figure($"HTTP append, {Clients} clients on distinct pairs", appendRate, rawRate, "events/s", "≥ 0.5× raw INSERT", appendRate >= 0.5 * rawRate,
            $"p50 {Report.Percentile(all, 0.5):0.0} ms, mean {all.Average():0.00}, p99 {Report.Percentile(all, 0.99):0.0} ms; CPU per append: the app {appCpu:0} µs, this harness {ownCpu:0} µs; the app allocated {allocated:0.0} KB per append and its collector paused it {paused:P0} of the time; baseline: raw Npgsql single-row INSERT of the same JSON, same concurrency"));
    }

    /// <summary>The app's collector since it started (its runtime metrics, as scraped): bytes allocated, seconds paused.
    /// Both move less between runs than the rate, and every pause stops all eight clients' requests at once.</summary>
    private static async Task<(double Allocated, double Paused)> GcTotals(HttpClient http)
    {
        var metrics = await http.GetStringAsync("/metrics");
        double Total(string name) => metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return (Total("dotnet_gc_heap_total_allocated_bytes_total"), Total("dotnet_gc_pause_time_seconds_total"));
    }

    private static double CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Each of <see cref="Clients"/> clients appends <paramref name="perClient"/> events to its own pair, one
    /// request at a time; the latency of each request.</summary>
    private async Task<List<double>[]> Appends(IReadOnlyList<string> pairs, byte[][][] bodies)
    {
        var latencies = new List<double>[Clients];
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            latencies[c] = [];
            using var client = Client();
            foreach (var body in bodies[c])
            {
                var one = Stopwatch.StartNew();
                using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
                using var response = await client.PostAsync($"/api/relations/{pairs[c]}/events", content);
                if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"append answered {(int)response.StatusCode}");
                latencies[c].Add(one.Elapsed.TotalMilliseconds);
            }
        }));
        return latencies;
    }

    /// <summary>Each client's request bodies, made before the clock starts: the baseline's clients send a body made
    /// beforehand too, and a latency is the request's, not the making of its payload.</summary>
    private static byte[][][] Bodies(int perClient, int seed) =>
        [.. Enumerable.Range(0, Clients).Select(c => Enumerable.Range(0, perClient).Select(i => Encoding.UTF8.GetBytes(Payload(seed + c * 100_000 + i).ToJsonString())).ToArray())];

    private async Task ImportAndCopy()
    {
        var file = Path.Combine(Path.GetTempPath(), $"relationsledger-bench-{Guid.NewGuid():N}.ndjson");
        var lines = ImportLines(sizes);
        await File.WriteAllLinesAsync(file, lines);
        var total = lines.Count;

        var before = await HighestSequence();
        var importRate = total / await Verb("import", file);
        var caughtUp = Stopwatch.StartNew();
        await CaughtUp();
        var catchUp = caughtUp.Elapsed.TotalSeconds;

        var copyRate = await CopyRate(lines);
        File.Delete(file);
        Add(new Figure($"bulk import of {total:#,0} events (import verb)", importRate, copyRate, "events/s", "≥ 0.3× COPY", importRate >= 0.3 * copyRate,
            $"the API's summary projection caught up {catchUp:0.0} s after the import's end; baseline: binary COPY of the same rows into a plain table, once the projection had caught up"));
        await Floor("import verb", before);
    }

    /// <summary>The import verb's file: 200 pairs of the realistic mix, one pair of <see cref="Sizes.SmallPair"/>
    /// events and one of <see cref="Sizes.LargePair"/> (the as-of reads' pairs), as NDJSON lines.</summary>
    public static List<string> ImportLines(Sizes sizes) =>
        SyntheticHistory.Events(1, SyntheticHistory.Pairs(200), sizes.ImportEvents)
            .Concat(SyntheticHistory.Events(2, ["JP-KR"], sizes.SmallPair))
            .Concat(SyntheticHistory.Events(3, ["KR-NO"], sizes.LargePair))
            .Select(e => e.ToJsonString()).ToList();

    /// <summary>Waits until the API's summary projection has applied every event written so far.</summary>
    private async Task CaughtUp(int minutes = 3)
    {
        var (behind, _) = await ProjectionLagAfter(TimeSpan.FromMinutes(minutes));
        if (behind > 0) throw new TimeoutException($"the summary projection is {behind} events behind after {minutes} minutes");
    }

    private async Task<long> HighestSequence()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return (long)(await new NpgsqlCommand("select coalesce(max(seq_id), 0) from ledger.mt_events", connection).ExecuteScalarAsync())!;
    }

    /// <summary>The database's own floor for an import: the rows it wrote after <paramref name="after"/> — Marten's
    /// event rows and the timeline read model's rows, exactly as stored — read out, then timed going back by binary
    /// COPY from one connection into empty copies of those two tables (their indexes, Marten's foreign key from the
    /// events to the streams); beside it, the baseline's plain-table rows timed the same way. No app, no parsing, no
    /// projection, no client serialization on either side: what PostgreSQL itself takes for the rows an import has
    /// to write, against what it takes for the plain table's.</summary>
    private async Task Floor(string what, long after)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        async Task Run(string sql) => await new NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
        var foreignKeys = new List<string>();
        await using (var reader = await new NpgsqlCommand("select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'ledger.mt_events'::regclass and contype = 'f'", connection).ExecuteReaderAsync())
            while (await reader.ReadAsync()) foreignKeys.Add(reader.GetString(0).Replace("ledger.", "bench_floor."));
        await Run("drop schema if exists bench_floor cascade; create schema bench_floor;" +
                  "create table bench_floor.bench_copy (like bench_copy including all);" +
                  "create table bench_floor.mt_streams (like ledger.mt_streams including all); insert into bench_floor.mt_streams select * from ledger.mt_streams;" +
                  "create table bench_floor.mt_events (like ledger.mt_events including all);" +
                  string.Concat(foreignKeys.Select(k => $"alter table bench_floor.mt_events add {k};")) +
                  "create table bench_floor.mt_doc_timelineentry (like ledger.mt_doc_timelineentry including all)");
        var tables = new[]
        {
            ("bench_copy", "id, pair, body", "select id, pair, body from bench_copy"),
            ("mt_events", EventRows.EventColumns, $"select {EventRows.EventColumns} from ledger.mt_events where seq_id > {after} and type <> 'tombstone' order by seq_id"),
            ("mt_doc_timelineentry", EventRows.TimelineColumns, $"select {EventRows.TimelineColumns} from ledger.mt_doc_timelineentry where sequence > {after} order by sequence"),
        };
        // the app's writer leaves the foreign key's check out where its role may (RelationsLedger.Relations.Recording.WriterConnections):
        // so does the floor, on the same cluster and role
        var replica = (bool)(await new NpgsqlCommand("select has_parameter_privilege(current_user, 'session_replication_role', 'SET')", connection).ExecuteScalarAsync())!;
        if (replica) await Run("set session_replication_role = replica");
        var seconds = new List<double>();
        foreach (var (table, columns, select) in tables)
        {
            var file = Path.Combine(Path.GetTempPath(), $"relationsledger-floor-{Guid.NewGuid():N}.bin");
            await using (var output = File.Create(file))
            await using (var copy = await connection.BeginRawBinaryCopyAsync($"copy ({select}) to stdout (format binary)"))
                await copy.CopyToAsync(output);
            var clock = Stopwatch.StartNew();
            await using (var input = File.OpenRead(file))
            await using (var copy = await connection.BeginRawBinaryCopyAsync($"copy bench_floor.{table} ({columns}) from stdin (format binary)"))
                await input.CopyToAsync(copy);
            seconds.Add(clock.Elapsed.TotalSeconds);
            File.Delete(file);
        }
        var plain = (long)(await new NpgsqlCommand("select count(*) from bench_floor.bench_copy", connection).ExecuteScalarAsync())!;
        var events = (long)(await new NpgsqlCommand("select count(*) from bench_floor.mt_events", connection).ExecuteScalarAsync())!;
        await Run("drop schema bench_floor cascade; reset session_replication_role");
        var rate = events / (seconds[1] + seconds[2]);
        Add(new Figure($"database floor for the {what}'s rows: {events:#,0} events' rows and timeline rows by binary COPY into Marten's tables", rate, plain / seconds[0], "events/s", "—", null,
            $"the rows as stored, into empty copies of the event table (unique indexes on sequence, id, stream and version; the type and sequence index; the foreign key to the streams, {(replica ? "its check left out as the app's writer leaves it out" : "checked")}) and the timeline read model's table, one connection, no client serialization ({seconds[1]:0.0} s the events, {seconds[2]:0.0} s the timeline); baseline: the plain table's rows above, the same way ({seconds[0]:0.0} s)"));
    }

    /// <summary>Runs one of the deployed app's verbs as an operator would, in a process of its own; its wall time in
    /// seconds, from process start to exit.</summary>
    private async Task<double> Verb(params string[] args) =>
        (await DeployedApp.Dotnet(args.Prepend(appDll), new Dictionary<string, string>
        {
            ["ConnectionStrings__Ledger"] = connectionString,
        })).TotalSeconds;

    /// <summary>The batch endpoint as an importing client uses it: each pair's events in order, as many per request as
    /// the body limit allows, four requests in flight; the baseline is COPY of the same rows. Measured in steady state,
    /// as the appends are: the summary projection first catches up with what the scenarios before wrote, then a tenth
    /// as many events go first, unmeasured (the tiered JIT recompiles the batch path), and the projection catches up
    /// with those too.</summary>
    private async Task BatchImport()
    {
        var pairs = SyntheticHistory.Pairs(200);
        async Task<double> Post(IEnumerable<JsonObject> events)
        {
            var requests = events.GroupBy(e => (string)e["pair"]!).Select(g => Batches(g.Key, g)).ToList();
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (pairRequests, _) =>
            {
                using var http = Client();
                foreach (var (pair, body) in pairRequests)
                {
                    using var response = await http.PostAsync($"/api/relations/{pair}/events/batch", new StringContent(body, Encoding.UTF8, "application/json"));
                    if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"batch answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            });
            return clock.Elapsed.TotalSeconds;
        }
        await CaughtUp();
        await Post(SyntheticHistory.Events(5, pairs, sizes.BatchEvents / 10));
        await CaughtUp();
        var events = SyntheticHistory.Events(4, pairs, sizes.BatchEvents).ToList();
        var before = await HighestSequence();
        var seconds = await Post(events);
        var rate = events.Count / seconds;
        // the baselines run on a quiet machine: the projection's catch-up on the batch is not theirs to share
        await CaughtUp();
        var copyRate = await CopyRate(events.Select(e => e.ToJsonString()).ToList());
        Add(new Figure($"bulk import of {events.Count:#,0} events (batch endpoint, ≤ 256 KiB per request)", rate, copyRate, "events/s", "≥ 0.3× COPY", rate >= 0.3 * copyRate,
            "baseline: binary COPY of the same rows into a plain table, once the projection had caught up"));
        await Floor("batch endpoint", before);
    }

    /// <summary>A pair's events as batch bodies: up to 1,000 events, within the API's 256 KiB body limit.</summary>
    private static List<(string Pair, string Body)> Batches(string pair, IEnumerable<JsonObject> events)
    {
        var batches = new List<(string, string)>();
        var current = new List<string>();
        var size = 2;
        foreach (var e in events)
        {
            var c = (JsonObject)e.DeepClone();
            c.Remove("pair");
            var json = c.ToJsonString();
            if (current.Count == 1000 || size + json.Length + 1 > 250_000)
            {
                batches.Add((pair, "[" + string.Join(",", current) + "]"));
                (current, size) = ([], 2);
            }
            current.Add(json);
            size += json.Length + 1;
        }
        if (current.Count > 0) batches.Add((pair, "[" + string.Join(",", current) + "]"));
        return batches;
    }

    private async Task<double> CopyRate(IReadOnlyList<string> lines)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand("drop table if exists bench_copy; create table bench_copy (id uuid primary key, pair text not null, body jsonb not null)", connection).ExecuteNonQueryAsync();
        var clock = Stopwatch.StartNew();
        await using (var writer = await connection.BeginBinaryImportAsync("copy bench_copy (id, pair, body) from stdin (format binary)"))
        {
            foreach (var line in lines)
            {
                var node = JsonNode.Parse(line)!;
                await writer.StartRowAsync();
                await writer.WriteAsync(Guid.Parse((string)node["eventId"]!), NpgsqlDbType.Uuid);
                await writer.WriteAsync((string)node["pair"]!, NpgsqlDbType.Text);
                await writer.WriteAsync(line, NpgsqlDbType.Jsonb);
            }
            await writer.CompleteAsync();
        }
        return lines.Count / clock.Elapsed.TotalSeconds;
    }

    private async Task AsOfReads()
    {
        using var http = Client();
        var random = new Random(7);
        // each read at a random date; its time, from the first step to the answer
        async Task<List<double>> Timed(int count, Func<DateOnly, Task> read)
        {
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var date = new DateOnly(1995, 1, 1).AddDays(random.Next(11_000));
                var one = Stopwatch.StartNew();
                await read(date);
                times.Add(one.Elapsed.TotalMilliseconds);
            }
            return times;
        }
        Task<List<double>> Read(string pair, int count) => Timed(count, async date =>
        {
            var response = await http.GetAsync($"/api/relations/{pair}/state?asOf={date:yyyy-MM-dd}");
            await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"state answered {(int)response.StatusCode}");
        });
        // reads are measured once the async summary projection has caught up with the imports (or after a bounded
        // wait, and then its remaining work runs beside the reads and is reported)
        var lag = await ProjectionLagAfter(TimeSpan.FromSeconds(sizes.RebuildBudgetSeconds * 2));
        // steady state, as for the appends: both pairs' read paths warmed up before anything is measured
        await Read("JP-KR", 200);
        await Read("KR-NO", 200);
        var small = await Read("JP-KR", sizes.Reads);
        var large = await Read("KR-NO", sizes.Reads);
        await Memory("right after the HTTP load");

        await using var baseline = LiveBaseline.Store(connectionString);
        // in-process, where the issue sets the target: the endpoint's own steps (the pair's stream version, its
        // checkpointed history, the fold at the date, the answer's view) called in this process on the same database,
        // without HTTP and JSON; its own history cache, warmed up like the HTTP reads
        var histories = new HistoryCache();
        Task<List<double>> ReadInProcess(string pair, int count) => Timed(count, async date =>
        {
            if (!Pair.TryParse(pair, out var p)) throw new ArgumentException(pair);
            await using var session = baseline.QuerySession();
            var stream = await session.Events.FetchStreamStateAsync(p.Id);
            var history = await histories.LatestAsync(session, p, stream, CancellationToken.None);
            var view = StateView.Of(p, date, DateTimeOffset.UtcNow, ReadBasis.At(history.Last), history.StateAt(date));
            if (view.EventCount < 0) throw new InvalidOperationException("no state");
        });
        await ReadInProcess("JP-KR", 200);
        await ReadInProcess("KR-NO", 200);
        var smallInProcess = await ReadInProcess("JP-KR", sizes.Reads);
        var largeInProcess = await ReadInProcess("KR-NO", sizes.Reads);

        var live = new List<double>();
        for (var i = 0; i < sizes.BaselineReads; i++)
        {
            await using var session = baseline.QuerySession();
            var one = Stopwatch.StartNew();
            var state = await session.Events.AggregateStreamAsync<LiveState>("KR-NO");
            live.Add(one.Elapsed.TotalMilliseconds);
            if (state is null) throw new InvalidOperationException("no stream");
        }
        var p50Live = Report.Percentile(live, 0.5);
        void AddAsOf(string how, List<double> largeTimes, List<double> smallTimes, string note)
        {
            var (p50, p99, p50Small) = (Report.Percentile(largeTimes, 0.5), Report.Percentile(largeTimes, 0.99), Report.Percentile(smallTimes, 0.5));
            Add(new Figure($"as-of state p50 {how}, pair of {sizes.LargePair:#,0} events", p50, p50Live, "ms", "≤ 5 ms; ≥ 100× faster than AggregateStreamAsync",
                p50 <= 5 && p50Live / p50 >= 100, note, LowerIsBetter: true));
            Add(new Figure($"as-of state p99 {how}, pair of {sizes.LargePair:#,0} events", p99, null, "ms", "≤ 20 ms", p99 <= 20));
            Add(new Figure($"flatness {how}: p50 at {sizes.LargePair:#,0} vs {sizes.SmallPair:#,0} events", p50, p50Small, "ms", "≤ 2× (ratio = large / small)", p50 <= 2 * p50Small));
        }
        AddAsOf("over loopback HTTP", large, small, "baseline: Marten AggregateStreamAsync of the same stream" +
            (lag.Events > 0 ? $"; measured while the async summary projection still had {lag.Events:#,0} of the imported events to apply ({lag.Rate:#,0} events/s catch-up)" : ""));
        AddAsOf("in-process", largeInProcess, smallInProcess, "the endpoint's steps in the harness's process: stream version, checkpointed history, fold, view");
    }

    /// <summary>Searches of the large pair's timeline by two words (a target's name), other words each time: the endpoint
    /// reads the pair's whole events and folds each one's text; the baseline is PostgreSQL's own case-insensitive match
    /// of the same words in the same stream's JSON (no corrections applied, no accents folded), the rows read by the
    /// client. Then paging: the next page of a search, whose matches the first page kept, against that first page. Not
    /// targets of the issue: how long a search and its next page take.</summary>
    private async Task TimelineSearch()
    {
        using var http = Client();
        // "Entity 230" … : three digits, so no target's number holds another's, and none a year of the summaries' dates
        static string Words(int n) => $"Entity {n}";
        async Task<(List<double> Times, int Found)> Timed(int from, Func<int, Task<int>> search, int? count = null)
        {
            var (times, found) = (new List<double>(), 0);
            for (var n = from; n < from + (count ?? sizes.BaselineReads); n++)
            {
                var one = Stopwatch.StartNew();
                found += await search(n);
                times.Add(one.Elapsed.TotalMilliseconds);
            }
            return (times, found);
        }
        string Path(int n, int limit) => $"/api/relations/KR-NO/timeline?q={Uri.EscapeDataString(Words(n))}&limit={limit}";
        async Task<JsonNode> Page(string path) => JsonNode.Parse(await http.GetStringAsync(path))!;
        async Task<int> Search(int n) => (await Page(Path(n, 10_000)))["events"]!.AsArray().Count;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        async Task<int> Match(int n)
        {
            await using var command = new NpgsqlCommand(
                "select data from ledger.mt_events where stream_id = $1 and data::text ilike $2 and data::text ilike $3 order by seq_id", connection)
            {
                Parameters = { new() { Value = "KR-NO" }, new() { Value = "%entity%" }, new() { Value = $"%{n}%" } },
            };
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync()) rows += reader.GetString(0).Length > 0 ? 1 : 0;
            return rows;
        }
        await Timed(270, Search, count: 3);
        var (ours, found) = await Timed(230, Search);
        await Timed(270, Match, count: 3);
        var (theirs, rows) = await Timed(230, Match);
        Add(new Figure($"timeline search by two words over loopback HTTP, pair of {sizes.LargePair:#,0} events (p50 of {ours.Count} searches, {found / ours.Count} events found each)",
            Report.Percentile(ours, 0.5), Report.Percentile(theirs, 0.5), "ms", "—", null,
            $"baseline: PostgreSQL ILIKE on the stream's JSON, {rows / theirs.Count} rows each", LowerIsBetter: true));

        // each search's first page, then its next one: 20 events a page on the full run's pair
        var (firstPages, nextPages, size) = (new List<double>(), new List<double>(), sizes.LargePair / 5_000);
        for (var n = 250; n < 250 + sizes.BaselineReads; n++)
        {
            var clock = Stopwatch.StartNew();
            var first = await Page(Path(n, size));
            firstPages.Add(clock.Elapsed.TotalMilliseconds);
            var next = (string?)first["next"] ?? throw new InvalidOperationException($"'{Words(n)}' found one page only");
            clock.Restart();
            await Page(next);
            nextPages.Add(clock.Elapsed.TotalMilliseconds);
        }
        Add(new Figure($"the next page of a timeline search, {size} events a page, pair of {sizes.LargePair:#,0} events (p50)", Report.Percentile(nextPages, 0.5),
            Report.Percentile(firstPages, 0.5), "ms", "—", null, "baseline: the same searches' first pages", LowerIsBetter: true));
    }

    /// <summary>Both projections rebuilt from every event: the ledger's one-pass rebuild against Marten's async daemon
    /// rebuilding the same two projections. The daemon gets a time budget per projection; its rate is the events it
    /// got through in that time.</summary>
    private async Task RebuildProjections()
    {
        long events;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("select count(*) from ledger.mt_events where type <> 'tombstone'", connection);
            events = (long)(await count.ExecuteScalarAsync())!;
        }
        // the deployed app's rebuild verb, timed from its process start to its exit
        var ours = events / await Verb("rebuild");

        await using var store = LiveBaseline.Store(connectionString);

        var budget = TimeSpan.FromSeconds(sizes.RebuildBudgetSeconds);
        var secondsPerEvent = 0.0;
        var (partial, unmeasured) = (false, false);
        // not disposed: a cancelled rebuild may still be winding down when the run ends
        var daemon = await store.BuildProjectionDaemonAsync();
        foreach (var projection in new[] { nameof(TimelineProjection), nameof(RelationshipSummaryProjection) })
        {
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(budget);
            // the daemon does not always give up at once when cancelled: the budget is enforced here, and the rebuild
            // is left to stop in the background
            var rebuild = daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(30), stop.Token);
            if (await Task.WhenAny(rebuild, Task.Delay(budget + TimeSpan.FromSeconds(5))) != rebuild) partial = true;
            else
                try { await rebuild; }
                catch (Exception e) when (e is OperationCanceledException || e.InnerException is OperationCanceledException) { partial = true; }
            var elapsed = clock.Elapsed.TotalSeconds;
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var progress = new NpgsqlCommand(
                "select coalesce((select last_seq_id from ledger.mt_event_progression where name = $1), 0), (select count(*) from ledger.mt_events where type <> 'tombstone' and seq_id <= coalesce((select last_seq_id from ledger.mt_event_progression where name = $1), 0))", connection);
            progress.Parameters.Add(new NpgsqlParameter { Value = projection + ":All" });
            await using var reader = await progress.ExecuteReaderAsync();
            await reader.ReadAsync();
            var done = reader.GetInt64(1);
            // a rebuild cut off before it recorded any progress has no rate to report (quick mode's budget)
            if (done == 0) unmeasured = true;
            secondsPerEvent += elapsed / Math.Max(done, 1);
        }
        await Task.WhenAny(daemon.StopAllAsync(), Task.Delay(TimeSpan.FromSeconds(10)));
        double? baseline = unmeasured ? null : 1 / secondsPerEvent;
        Add(new Figure($"rebuild of both projections from {events:#,0} events (rebuild verb)", ours, baseline, "events/s", "≥ 40,000 events/s, faster than the daemon",
            ours < 40_000 ? false : baseline is { } daemonRate ? ours > daemonRate : null,
            $"the rebuild verb's wall time, process start included; baseline: Marten's async daemon RebuildProjectionAsync of the same two projections" +
            (unmeasured ? $", not measured: it recorded no progress within its {budget.TotalSeconds:0} s per projection" : partial ? $", rate over its first {budget.TotalSeconds:0} s per projection" : "")));
    }

    /// <summary>Waits for the async summary projection to apply every event, at most <paramref name="limit"/>; what is left, and the rate it went at.</summary>
    private async Task<(long Events, double Rate)> ProjectionLagAfter(TimeSpan limit)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        async Task<(long Newest, long Applied)> Positions()
        {
            await using var command = new NpgsqlCommand(
                $"select (select coalesce(max(seq_id), 0) from ledger.mt_events), coalesce((select last_seq_id from ledger.mt_event_progression where name = '{nameof(RelationshipSummaryProjection)}:All'), 0)", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        var clock = Stopwatch.StartNew();
        var (newest, start) = await Positions();
        var applied = start;
        while (applied < newest && clock.Elapsed < limit)
        {
            await Task.Delay(500);
            (newest, applied) = await Positions();
        }
        await using var count = new NpgsqlCommand($"select count(*) from ledger.mt_events where seq_id > {applied} and type <> 'tombstone'", connection);
        var left = (long)(await count.ExecuteScalarAsync())!;
        return (left, (applied - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3));
    }

    private async Task Memory(string when)
    {
        if (_app is null) return;
        var rss = File.ReadAllLines($"/proc/{_app.Id}/status").First(l => l.StartsWith("VmRSS:"));
        var mb = double.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        Add(new Figure($"API resident memory {when}", mb, null, "MB", "≤ 300 MB", mb <= 300, await WhereMemoryIs()));
    }

    /// <summary>The resident memory's parts, from the process's mappings and the runtime's own metrics: the GC heap
    /// (committed, and live after the last collection), the JIT's code (the W^X double mapping) and mapped files.</summary>
    private async Task<string> WhereMemoryIs()
    {
        var byMapping = new Dictionary<string, long>();
        var name = "";
        foreach (var line in File.ReadLines($"/proc/{_app!.Id}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && fields[0].Contains('-') && !fields[0].EndsWith(':')) name = fields.Length >= 6 ? fields[5] : "";
            else if (fields is ["Rss:", var kb, ..]) byMapping[name] = byMapping.GetValueOrDefault(name) + long.Parse(kb);
        }
        double Mb(Func<string, bool> which) => byMapping.Where(m => which(m.Key)).Sum(m => m.Value) / 1024.0;
        var metrics = "";
        try
        {
            using var http = Client();
            metrics = await http.GetStringAsync("/metrics");
        }
        catch (HttpRequestException) { }
        double Metric(string prefix) => metrics.Split('\n').Where(l => l.StartsWith(prefix))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)) / (1 << 20);
        return $"GC heap {Metric("dotnet_gc_last_collection_memory_committed_size_bytes"):0} MB committed, {Metric("dotnet_gc_last_collection_heap_size_bytes"):0} MB after the last collection; " +
               $"JIT code (W^X double mapping) {Mb(n => n.Contains("doublemapper")):0} MB; mapped files {Mb(n => n.StartsWith('/') && !n.Contains("doublemapper")):0} MB; anonymous, the GC heap among it, {Mb(n => n == "" || n.StartsWith('[')):0} MB";
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
