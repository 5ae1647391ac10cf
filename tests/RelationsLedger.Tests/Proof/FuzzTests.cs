using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using RelationsLedger.Relations;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

/// <summary>Malformed requests, generated from a fixed seed: every one must get a 4xx and none may append.</summary>
public sealed class FuzzTests(LedgerApp app) : ApiTest(app)
{
    public const int Requests = 10_000;

    private static readonly string[] Injections =
    [
        "'; DROP TABLE ledger.mt_events; --", "\" OR 1=1 --", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
        "${jndi:ldap://127.0.0.1/a}", "../../../../etc/passwd", "{{7*7}}", "%00", "\\u0000", "Robert'); DELETE FROM mt_streams;--",
    ];

    private static readonly string[] BadDates = ["2025-02-30", "2025-00-10", "2025-13", "0000-01-01", "2025/01/01", "99999-01-01", "2025-1-1", "1899-12-31", "2099-01-01", "yesterday", ""];

    private static readonly string[] BadPairs = ["USA-BY", "US-US", "XX-BY", "US", "US-BY-LT", "us_by", "%27%3B--", "%3Cscript%3E", "US-", "-BY", "12-34"];

    [Fact]
    public async Task ten_thousand_malformed_requests_get_only_4xx_and_append_nothing()
    {
        var random = new Random(20250911);
        var statuses = new Dictionary<int, int>();
        var types = EventCatalog.All.Where(t => !t.IsProvenance).Select(t => t.Name).ToArray();
        for (var i = 0; i < Requests; i++)
        {
            var (pair, content, batch) = Malformed(random, types);
            var response = await Http.PostAsync($"/api/relations/{pair}/events{(batch ? "/batch" : "")}", content, Ct);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is >= 400 and < 500, $"request {i} to {pair} answered {status}: {await content.ReadAsStringAsync(Ct)}");
        }
        Assert.Equal(0, await App.EventCountAsync());
        Assert.True(statuses.ContainsKey(400) && statuses.ContainsKey(415));
        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz: {Requests} requests, statuses {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
    }

    private static (string Pair, HttpContent Content, bool Batch) Malformed(Random random, string[] types)
    {
        var body = Samples.Event(types[random.Next(types.Length)], "2025-09-11");
        var data = body["data"]!.AsObject();
        var pair = "US-BY";
        // noise that alone is valid: injection strings in free text
        if (random.Next(2) == 0) body["summary"] = Pick(random, Injections);
        var defects = 1 + random.Next(3);
        string? raw = null;
        byte[]? bytes = null;
        var contentType = "application/json";
        for (var d = 0; d < defects; d++)
        {
            switch (random.Next(17))
            {
                case 0: raw = body.ToJsonString()[..random.Next(1, body.ToJsonString().Length - 1)]; break;
                case 1 when data.Count > 0: data[data.ElementAt(random.Next(data.Count)).Key] = WrongType(random); break;
                case 2: body["occurredOn"] = Pick(random, BadDates); break;
                case 3: body["expectedVersion"] = JsonNode.Parse(Pick(random, ["-1", "1.5", "123456789012345678901234567890", "1e400", "\"3\"", "true"])); break;
                case 4: raw = new string('[', 200 + random.Next(2000)) + new string(']', 10); break;
                case 5: body["summary"] = "a" + (char)random.Next(0, 32) + "b"; if (body["summary"]!.ToString() is "a\tb" or "a\nb" or "a\rb") body["summary"] = "a\u0001b"; break;
                case 6: bytes = InvalidUtf8(body.ToJsonString(), random); break;
                case 7: pair = Pick(random, BadPairs); break;
                case 8: body["type"] = Pick(random, [.. Injections, "embassyclosed", "Event", "", "EventCorrected "]); break;
                case 9: data["unexpected" + random.Next(100)] = Pick(random, Injections); break;
                case 10: body["sources"] = JsonNode.Parse(Pick(random, ["[]", "null", "[{}]", "[{\"outlet\":\"\"}]", "[{\"outlet\":\"x\",\"url\":\"javascript:alert(1)\"}]", "[{\"outlet\":\"x\",\"publishedOn\":\"2025-02-30\"}]", "\"Reuters\""])); break;
                case 11: body.Remove(Pick(random, ["type", "occurredOn", "summary", "sources"])); break;
                case 12: raw = body.ToJsonString().Replace("\"summary\":", "\"summary\":\"\\ud800\",\"x\":"); break;
                case 13: contentType = Pick(random, ["text/plain", "application/xml", "multipart/form-data", "application/x-www-form-urlencoded"]); break;
                case 14: body["eventId"] = Pick(random, ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "1", .. Injections]); break;
                case 15: raw = body.ToJsonString().Replace("\"summary\":", $"\"summary\":{Pick(random, ["\"once\"", "null", "1"])},\"summary\":"); break;
                default: body["summary"] = new string('x', 2001 + random.Next(5000)); break;
            }
        }
        var batch = random.Next(4) == 0;
        var text = raw ?? body.ToJsonString();
        if (batch && raw is null && bytes is null) text = $"[{Samples.Event("EmbassyClosed", "2022-02-28").ToJsonString()},{text}]";
        var content = bytes is not null ? new ByteArrayContent(bytes) : new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return (pair, content, batch);
    }

    private static JsonNode? WrongType(Random random) => random.Next(7) switch
    {
        0 => false, 1 => true, 2 => new JsonArray(1, 2), 3 => new JsonObject { ["nested"] = new JsonObject() }, 4 => -7,
        5 => JsonNode.Parse("1e308"), _ => "",
    };

    private static byte[] InvalidUtf8(string json, Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(json).ToList();
        var at = json.IndexOf("\"summary\":\"", StringComparison.Ordinal) + 11;
        bytes.InsertRange(at, Pick(random, [new byte[] { 0xC3, 0x28 }, [0xFF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]]));
        return [.. bytes];
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
