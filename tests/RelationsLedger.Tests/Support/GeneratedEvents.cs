using System.Text.Json.Nodes;
using CsCheck;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Tests.Support;

/// <summary>Valid submissions, generated from the catalog: shared by the HTTP round trip and the reader's unit tests.</summary>
public static class GeneratedEvents
{
    private static readonly string[] Codes = ["US", "BY", "LT", "PL", "LV", "DE", "GB", "FR", "UA", "RU", "EU", "CN"];
    private static readonly Gen<string> Word = Gen.OneOf(
        Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '-.,"], 1, 40],
        Gen.OneOf("Лукашенко", "Łukaszenka", "Nausėda", "Ціханоўская", "白俄罗斯", "🕊 peace", "O'Brien \"quoted\"", "<b>not html</b>"))
        .Where(s => !string.IsNullOrWhiteSpace(s));

    // a summary, a gist or a reason may run over lines; any other text is one line
    private static readonly Gen<string> Prose = Gen.OneOf(Word, Gen.OneOf("a\ttab", "line\nbreak", "two\r\nlines"));
    private static readonly Gen<string> Country = Gen.OneOf(Codes);

    private static Gen<JsonNode> Field(FieldSpec field) => field.Kind switch
    {
        FieldKind.Country => Country.Select(c => (JsonNode)c),
        FieldKind.TextList => Word.Array[1, 4].Select(a => (JsonNode)new JsonArray(a.Select(x => (JsonNode)x).ToArray())),
        FieldKind.CountryList => Country.Array[1, 3].Select(a => (JsonNode)new JsonArray(a.Select(x => (JsonNode)x).ToArray())),
        FieldKind.Count => Gen.Int[0, 1_000_000].Select(n => (JsonNode)n),
        FieldKind.CountryCounts => Gen.Dictionary(Country, Gen.Int[0, 500])[1, 4].Select(d => (JsonNode)new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)))),
        FieldKind.Choice => Gen.OneOf(field.Choices.ToArray()).Select(c => (JsonNode)c),
        _ => (field.Prose ? Prose : Word).Select(w => (JsonNode)w),
    };

    /// <summary>Every required field, and each optional one or not.</summary>
    private static Gen<JsonObject> Data(EventType type)
    {
        var fields = Gen.Const(System.Collections.Immutable.ImmutableList<KeyValuePair<string, JsonNode?>>.Empty);
        foreach (var f in type.Fields)
            fields = Gen.Select(fields, Field(f), Gen.Bool, (list, value, keep) => f.Required || keep ? list.Add(KeyValuePair.Create(f.Name, (JsonNode?)value)) : list);
        var (total, byCountry) = (type.Fields.FirstOrDefault(f => f.Kind == FieldKind.Count)?.Name, type.Fields.FirstOrDefault(f => f.Kind == FieldKind.CountryCounts)?.Name);
        return fields.Select(list =>
        {
            var data = new JsonObject(list);
            // a breakdown by country is of the count beside it: the count is at least its sum
            if (total is not null && data[total] is { } count && byCountry is not null && data[byCountry] is JsonObject counts)
                data[total] = Math.Max((int)count, counts.Sum(c => (int)c.Value!));
            return data;
        });
    }

    private static readonly Gen<JsonObject> AnySource = Gen.Select(Word, Gen.Bool, Gen.Bool, Gen.Int[0, 27000]).Select((outlet, title, url, day) =>
    {
        var source = new JsonObject { ["outlet"] = outlet };
        if (title) source["title"] = outlet + " report";
        if (url) source["url"] = $"https://news.example.org/{day}?q=a&b=c";
        // published by 2023: never after a test's today
        if (day % 3 == 0) source["publishedOn"] = new DateOnly(1950, 1, 1).AddDays(day).ToString("yyyy-MM-dd");
        return source;
    });

    /// <summary>A valid domain event as a client submits it: every type of the catalog, any of its fields, texts in
    /// many scripts, one to three sources, a date of any precision.</summary>
    public static readonly Gen<JsonObject> AnyFact =
        Gen.OneOf(EventCatalog.All.Where(t => !t.IsProvenance).ToArray())
            .SelectMany(type => Gen.Select(Data(type), Prose, AnySource.Array[1, 3], Gen.Int[0, 45000], Gen.Int[0, 2]).Select((data, summary, sources, day, precision) =>
            {
                var date = new DateOnly(1901, 1, 1).AddDays(day);
                return new JsonObject
                {
                    ["type"] = type.Name,
                    ["occurredOn"] = precision switch { 0 => date.ToString("yyyy"), 1 => date.ToString("yyyy-MM"), _ => date.ToString("yyyy-MM-dd") },
                    ["summary"] = summary,
                    ["data"] = data,
                    ["sources"] = new JsonArray(sources.Select(s => (JsonNode)s).ToArray()),
                };
            }));

    /// <summary>A generated fact as the ledger records it: its one-line text with one space between words and none at
    /// its ends (<see cref="SubmissionReader.Spaced"/>), its prose as given.</summary>
    public static JsonObject AsRecorded(JsonObject submitted)
    {
        var recorded = submitted.DeepClone().AsObject();
        static JsonNode Spaced(JsonNode? text) => SubmissionReader.Spaced((string)text!);
        var data = recorded["data"]!.AsObject();
        foreach (var field in EventCatalog.ByName[(string)recorded["type"]!].Fields.Where(f => data[f.Name] is not null))
            if (field.Kind == FieldKind.Text && !field.Prose) data[field.Name] = Spaced(data[field.Name]);
            else if (field.Kind == FieldKind.TextList) data[field.Name] = new JsonArray([.. data[field.Name]!.AsArray().Select(Spaced)]);
        foreach (var source in recorded["sources"]!.AsArray().Select(x => x!.AsObject()))
            foreach (var name in new[] { "outlet", "title", "url" })
                if (source[name] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String) source[name] = Spaced(text);
        return recorded;
    }
}
