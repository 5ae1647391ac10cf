using System.Text.Json.Nodes;
using RelationsLedger.Relations;

namespace RelationsLedger.Benchmarks;

/// <summary>Deterministic (seeded) histories with a realistic mix of types, some appended out of date order
/// (backdated) and some corrections of earlier events.</summary>
public static class SyntheticHistory
{
    private static readonly string[] Countries = ["US", "BY", "LT", "PL", "LV", "DE", "GB", "FR", "UA", "RU", "EU", "CN", "JP", "SE", "EE", "FI", "NO", "CA", "AU", "IT", "ES"];

    /// <summary>Distinct pairs of the countries above (up to 190), named as the API names them.</summary>
    public static IReadOnlyList<string> Pairs(int count) =>
        Countries.SelectMany((a, i) => Countries.Skip(i + 1).Select(b => string.CompareOrdinal(a, b) < 0 ? $"{a}-{b}" : $"{b}-{a}")).Take(count).ToList();

    public static IEnumerable<JsonObject> Events(int seed, IReadOnlyList<string> pairs, int count)
    {
        var random = new Random(seed);
        var recent = new List<(string Pair, Guid Id)>();
        var days = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var pair = pairs[random.Next(pairs.Count)];
            var day = days.GetValueOrDefault(pair) + random.Next(0, 3);
            days[pair] = day;
            if (random.Next(100) < 5) day = Math.Max(0, day - random.Next(1, 2000)); // backdated
            var date = new DateOnly(1995, 1, 1).AddDays(day % 11_000);
            var id = Guid.CreateVersion7();
            JsonObject e;
            if (random.Next(100) < 1 && recent.Count > 0 && recent[^1].Pair == pair)
                e = Envelope("EventCorrected", date, new JsonObject
                {
                    ["correctsEventId"] = recent[^1].Id.ToString(), ["patch"] = new JsonObject { ["summary"] = $"corrected summary {i}" }, ["reason"] = "benchmark correction",
                });
            else
            {
                var (type, data) = Fact(random, pair);
                e = Envelope(type, date, data);
                recent.Add((pair, id));
                if (recent.Count > 64) recent.RemoveAt(0);
            }
            e["eventId"] = id.ToString();
            e["pair"] = pair;
            yield return e;
        }
    }

    private static JsonObject Envelope(string type, DateOnly date, JsonObject data) => new()
    {
        ["type"] = type,
        ["occurredOn"] = date.ToString("yyyy-MM-dd"),
        ["summary"] = $"{type} on {date:yyyy-MM-dd}: a synthetic fact of realistic length for the benchmark's payloads.",
        ["data"] = data,
        ["sources"] = new JsonArray(new JsonObject { ["outlet"] = "Reuters", ["title"] = "Synthetic report", ["url"] = "https://www.reuters.com/world/", ["publishedOn"] = date.ToString("yyyy-MM-dd") }),
    };

    /// <summary>Up to two of those released are of the first country (never more than were released).</summary>
    private static (string, JsonObject) Released(Random random, string a, string b)
    {
        var count = random.Next(1, 60);
        return ("PrisonersReleased", new JsonObject { ["releasedBy"] = b, ["count"] = count, ["byNationality"] = new JsonObject { [a] = Math.Min(random.Next(0, 3), count) } });
    }

    private static (string, JsonObject) Fact(Random random, string pair)
    {
        var (a, b) = (pair[..2], pair[3..]);
        var target = $"Entity {random.Next(300)}";
        var program = random.Next(2) == 0 ? "P1" : "P2";
        return random.Next(100) switch
        {
            < 25 => ("SanctionsImposed", new JsonObject { ["imposedBy"] = a, ["authority"] = "Treasury", ["program"] = program, ["target"] = target, ["targetKind"] = "entity", ["measures"] = new JsonArray("asset freeze") }),
            < 35 => ("SanctionsEased", new JsonObject { ["easedBy"] = a, ["target"] = target, ["program"] = program, ["scope"] = new JsonArray("parts") }),
            < 40 => ("SanctionsLifted", new JsonObject { ["liftedBy"] = a, ["target"] = target }),
            < 55 => ("EnvoyVisited", new JsonObject { ["envoy"] = "Envoy", ["envoyOf"] = a, ["city"] = "Capital", ["metWith"] = new JsonArray("Leader") }),
            < 62 => ("LeadersSpoke", new JsonObject { ["participants"] = new JsonArray("Leader A", "Leader B"), ["medium"] = "phone" }),
            < 72 => Released(random, a, b),
            < 75 => ("EmbassyClosed", new JsonObject { ["embassyOf"] = a, ["city"] = "Capital", ["mode"] = "suspended" }),
            < 78 => ("EmbassyReopened", new JsonObject { ["embassyOf"] = a, ["city"] = "Capital" }),
            < 85 => ("AmbassadorNominated", new JsonObject { ["ambassadorOf"] = a, ["name"] = $"Ambassador {random.Next(50)}" }),
            < 92 => ("StatementMade", new JsonObject { ["by"] = "Ministry", ["gist"] = "a statement" }),
            _ => ("DiplomatsExpelled", new JsonObject { ["expelledBy"] = b, ["diplomatsOf"] = a, ["count"] = random.Next(1, 20) }),
        };
    }
}
