using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Marten.Linq;
using Npgsql;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Projections;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

/// <summary>On a ledger of 100,000 events (200 pairs, the realistic mix), the queries behind every read use an index:
/// EXPLAIN of each shows no sequential scan of the event or timeline tables.</summary>
public sealed class IndexTests(LedgerApp app) : ApiTest(app)
{
    private const int Events = 100_000;
    private static readonly string[] Codes = ["US", "BY", "LT", "PL", "LV", "DE", "GB", "FR", "UA", "RU", "EU", "CN", "JP", "SE", "EE", "FI", "NO", "CA", "AU", "IT", "ES"];

    [Fact]
    public async Task every_read_query_uses_an_index_on_100k_events()
    {
        var pairs = Codes.SelectMany((a, i) => Codes.Skip(i + 1).Select(b => Pair.TryParse($"{a}-{b}", out var p) ? p.Id : "")).Take(200).ToList();
        var random = new Random(11);
        var lines = Enumerable.Range(0, Events).Select(i =>
        {
            var pair = pairs[random.Next(pairs.Count)];
            var date = new DateOnly(1995, 1, 1).AddDays(random.Next(11_000)).ToString("yyyy-MM-dd");
            var (a, b) = (pair[..2], pair[3..]);
            var (type, data) = random.Next(4) switch
            {
                0 => ("SanctionsImposed", new JsonObject { ["imposedBy"] = a, ["target"] = $"Entity {random.Next(300)}", ["program"] = "P1", ["authority"] = "Treasury", ["targetKind"] = "entity", ["measures"] = new JsonArray("asset freeze") }),
                1 => ("EnvoyVisited", new JsonObject { ["envoy"] = "Envoy", ["envoyOf"] = a, ["city"] = "Capital", ["metWith"] = new JsonArray("Leader") }),
                2 => ("PrisonersReleased", new JsonObject { ["releasedBy"] = b, ["count"] = random.Next(1, 60) }),
                _ => ("StatementMade", new JsonObject { ["by"] = "Ministry", ["gist"] = "a statement" }),
            };
            var e = Samples.Event(type, date, data);
            e["pair"] = pair;
            return new ImportLine(i + 1, e.ToJsonString());
        }).ToList();
        var result = await Importer.ImportAsync(App.Services.GetRequiredService<Appending>(), lines, new DateOnly(2026, 1, 1), ct: Ct);
        Assert.True(result.Problems.Count == 0, string.Join("; ", result.Problems.Take(3).Select(p => $"{p.Key}: {string.Join(" ", p.Value)}")));
        await using (var analyze = App.Store.Storage.Database.CreateConnection())
        {
            await analyze.OpenAsync(Ct);
            await new NpgsqlCommand("analyze ledger.mt_events; analyze ledger.mt_streams; analyze ledger.mt_doc_timelineentry", analyze).ExecuteNonQueryAsync(Ct);
        }

        await using var session = App.Store.QuerySession();
        var pair = pairs[17];
        var (from, to) = (new DateOnly(2001, 1, 1), new DateOnly(2003, 12, 31));
        var timeline = session.Query<TimelineEntry>().Where(x => x.Pair == pair && x.Effective >= from && x.Effective <= to && !x.Retracted)
            .OrderBy(x => x.Effective).ThenBy(x => x.Sequence).Take(1001);
        var eventId = (await session.Query<TimelineEntry>().Where(x => x.Pair == pair).Select(x => x.Id).FirstAsync(Ct));
        var queries = new Dictionary<string, NpgsqlCommand>
        {
            ["timeline page (pair, effective range, order)"] = timeline.ToCommand(FetchType.FetchMany),
            ["a pair's stream (state, diff, series, event)"] = Command("select seq_id, version, data from ledger.mt_events where stream_id = $1 order by version", pair),
            ["newest sequence of a pair (cache checks)"] = Command("select seq_id from ledger.mt_events where stream_id = $1 order by version desc limit 1", pair),
            ["events by id (idempotency, GET /api/events/{id})"] = Command("select id from ledger.mt_events where id = any($1)", new[] { eventId }),
            ["stream version (If-Match, ETags)"] = Command("select version from ledger.mt_streams where id = $1", pair),
        };
        await using var connection = App.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync(Ct);
        foreach (var (name, query) in queries)
        {
            await using var explain = new NpgsqlCommand("explain (format json) " + query.CommandText, connection);
            foreach (NpgsqlParameter p in query.Parameters) explain.Parameters.Add(p.Clone());
            var plan = JsonNode.Parse((string)(await explain.ExecuteScalarAsync(Ct))!)!.ToJsonString();
            Assert.DoesNotContain("\"Seq Scan\"", plan);
            Assert.Contains("Index", plan);
            // no walk of the whole log: every plan starts from the pair, the id or the stream
            Assert.True(new[] { "mt_doc_timelineentry_idx_pair", "pk_mt_events_stream_and_version", "idx_mt_events_event_id", "pkey_mt_streams_id" }.Any(plan.Contains), $"{name}: {plan}");
            TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {plan}");
        }
    }

    private static NpgsqlCommand Command(string sql, object value) => new(sql) { Parameters = { new NpgsqlParameter { Value = value } } };
}
