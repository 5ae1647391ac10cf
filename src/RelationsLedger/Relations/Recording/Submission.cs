using System.Text.Json;
using System.Text.Json.Nodes;

namespace RelationsLedger.Relations.Recording;

/// <summary>Field-by-field problems of a request, in the shape of ValidationProblemDetails.errors.</summary>
public sealed class Problems : Dictionary<string, string[]>
{
    public void Add(string field, string message) =>
        this[field] = TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>Every message of <paramref name="other"/>, its fields after <paramref name="prefix"/>.</summary>
    public void AddAll(Problems other, string prefix = "")
    {
        foreach (var (field, messages) in other) foreach (var message in messages) Add(prefix + field, message);
    }
}

/// <summary>A validated event as a client submitted it.</summary>
public sealed record Submission(LedgerEvent Event, long? ExpectedVersion, bool ClientChoseId)
{
    /// <summary>With an <c>Idempotency-Key</c> and no eventId, the event id is derived from the key (and who sent it), so a
    /// retry after a crash finds the event already recorded: same body → the original answer, another body → 409.</summary>
    public Submission KeyedBy(string? idempotencyKey, Pair pair, HttpContext context, int index)
    {
        if (idempotencyKey is null || ClientChoseId) return this;
        var writer = context.Items[Platform.ApiKeyMiddleware.WriterItem] as string ?? "anonymous";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{writer}\n{pair.Id}\n{idempotencyKey}\n{index}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // UUID version 8: custom, name-based
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return this with { Event = Event with { Id = new Guid(hash.AsSpan(0, 16), bigEndian: true) }, ClientChoseId = true };
    }
}

/// <summary>Reads the request envelope and its data against the catalog; every failing field is reported.</summary>
public static class SubmissionReader
{
    public const int MaxSummary = 2000, MaxText = 2000, MaxName = 300, MaxUrl = 2000, MaxItems = 200, MaxCount = 100_000_000;

    private static readonly byte[][] EnvelopeFields =
        Utf8("type", "occurredOn", "summary", "data", "sources", "relatedEventIds", "eventId", "expectedVersion");
    private static readonly byte[][] SourceFields = Utf8("outlet", "title", "url", "publishedOn");
    private static readonly HashSet<string> CorrectableFields = ["occurredOn", "summary", "data"];

    /// <param name="asRecorded">the line is an event as a ledger recorded it (a restore): the rules added since for new
    /// writes — a breakdown within its count and each country once, a patch naming a field, each related event once — are
    /// not applied again, so an export restores whatever its ledger accepted</param>
    public static Submission? Read(JsonElement body, DateOnly today, Problems problems, string prefix = "", IReadOnlySet<string>? alsoAllowed = null, bool asRecorded = false)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            problems.Add(Path(prefix, "$"), "The event must be a JSON object.");
            return null;
        }
        if (FirstUnreadableText(body, prefix) is { } unreadable)
        {
            problems.Add(unreadable.Path, unreadable.Problem);
            return null;
        }
        var start = problems.Count;
        foreach (var property in body.EnumerateObject())
            if (!Named(property, EnvelopeFields) && alsoAllowed?.Contains(property.Name) != true)
                problems.Add(Path(prefix, Safe(property.Name)), "Unknown field.");

        EventType? type = null;
        if (!body.TryGetProperty("type", out var typeElement)) problems.Add(Path(prefix, "type"), "Required.");
        else if (typeElement.ValueKind != JsonValueKind.String || !EventCatalog.ByName.TryGetValue(typeElement.GetString()!, out type))
            problems.Add(Path(prefix, "type"), $"Unknown event type; one of: {string.Join(", ", EventCatalog.ByName.Keys.Order())}.");

        var occurredOn = ReadOccurrence(body, "occurredOn", today, problems, prefix, required: true);
        var summary = ReadText(body, "summary", MaxSummary, problems, prefix, required: true, asRecorded);
        var sources = ReadSources(body, today, problems, prefix, asRecorded);
        var related = ReadIds(body, "relatedEventIds", problems, prefix, asRecorded);
        var id = ReadId(body, "eventId", problems, prefix, required: false);
        long? expectedVersion = null;
        if (body.TryGetProperty("expectedVersion", out var ev))
        {
            if (ev.ValueKind == JsonValueKind.Number && ev.TryGetInt64(out var v) && v >= 0) expectedVersion = v;
            else if (ev.ValueKind != JsonValueKind.Null) problems.Add(Path(prefix, "expectedVersion"), "Must be a whole number ≥ 0.");
        }

        object?[]? data = null;
        if (type is not null)
        {
            var dataElement = body.TryGetProperty("data", out var d) ? d : default;
            data = ReadData(type, dataElement, today, problems, prefix, "data", asRecorded);
        }
        if (problems.Count > start || type is null || data is null) return null;

        var evt = EventCatalog.Create(type, data, id ?? Guid.CreateVersion7(), occurredOn!.Value, summary!, sources!, related);
        return new Submission(evt, expectedVersion, id is not null);
    }

    /// <summary>Applies a correction's patch to the event as it now stands; null (with problems) if the result is not a valid event.</summary>
    /// <param name="asRecorded">a correction already recorded, read back: the rules added since for new writes are not
    /// applied again (<see cref="Read"/>), so a stored correction is applied as it was when recorded</param>
    public static LedgerEvent? Revise(LedgerEvent current, JsonObject patch, DateOnly today, Problems problems, string prefix, bool asRecorded = false)
    {
        var type = EventCatalog.Of(current);
        var before = problems.Count;
        foreach (var (key, _) in patch.Where(p => !CorrectableFields.Contains(p.Key)))
            problems.Add(Path(prefix, $"patch.{Safe(key)}"), "A correction may patch only occurredOn, summary and data.");
        if (problems.Count > before) return null;
        var recorded = EventCatalog.CorrectableOf(current);
        var merged = LedgerJson.MergePatch(recorded, patch);
        var element = JsonSerializer.SerializeToElement(merged);
        (Occurrence? OccurredOn, string? Summary, object?[]? Data) Corrected(JsonElement e, Problems into, bool lenient) => (
            ReadOccurrence(e, "occurredOn", today, into, Path(prefix, "patch"), required: true),
            ReadText(e, "summary", MaxSummary, into, Path(prefix, "patch"), required: true, lenient),
            ReadData(type, e.TryGetProperty("data", out var d) ? d : default, today, into, prefix, "patch.data", lenient));
        var strict = new Problems();
        var (occurredOn, summary, data) = Corrected(element, strict, asRecorded);
        if (strict.Count > 0)
        {
            // a rule the fact already broke as recorded (it came before the rule) is not the correction's to mend: a
            // problem is excused where the fact had it, the same, and the patch leaves that value as it was; whatever
            // the patch brings is refused, and the rest of the fact is read as it was recorded
            var already = new Problems();
            if (!asRecorded) Corrected(JsonSerializer.SerializeToElement(recorded), already, lenient: false);
            var at = Path(prefix, "patch") + ".";
            bool Kept(string key) => key.StartsWith(at, StringComparison.Ordinal) && JsonNode.DeepEquals(Node(merged, key[at.Length..]), Node(recorded, key[at.Length..]));
            var brought = strict.Where(p => !(already.TryGetValue(p.Key, out var m) && m.SequenceEqual(p.Value) && Kept(p.Key))).ToList();
            if (brought.Count > 0)
            {
                foreach (var (key, messages) in brought) foreach (var message in messages) problems.Add(key, message);
                return null;
            }
            (occurredOn, summary, data) = Corrected(element, problems, lenient: true);
            if (occurredOn is null || summary is null || data is null) return null;
        }
        var result = EventCatalog.Create(type, data!, current.Id, occurredOn!.Value, summary!, current.Sources, current.RelatedEventIds);
        // a patch that leaves the fact as it reads ({"data": {}}, or its own values) would mark it corrected for nothing
        if (!asRecorded && JsonNode.DeepEquals(EventCatalog.CorrectableOf(result), recorded))
        {
            problems.Add(Path(prefix, "patch"), "Changes nothing: the fact already reads so.");
            return null;
        }
        return result;
    }

    /// <summary>The node at a problem's path under the corrected fields ("data.measures[1]", "summary"), or null.</summary>
    private static JsonNode? Node(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[');
            node = node is JsonObject o ? o[bracket < 0 ? part : part[..bracket]] : null;
            if (bracket >= 0)
                node = node is JsonArray a && int.TryParse(part[(bracket + 1)..^1], out var i) && i >= 0 && i < a.Count ? a[i] : null;
        }
        return node;
    }

    // Every check below builds the path of a field only to report a problem with it: an import reads a million
    // events, each path prefixed with its line ("line 812.data.target"), and almost all of them are valid.

    /// <summary>The event's data as its record's constructor takes it: a normalized value per field of the catalog (null
    /// where an optional field is not given), or null with problems.</summary>
    private static object?[]? ReadData(EventType type, JsonElement data, DateOnly today, Problems problems, string prefix, string name, bool asRecorded)
    {
        if (data.ValueKind == JsonValueKind.Undefined) return ReadData(type, EmptyObject, today, problems, prefix, name, asRecorded);
        if (data.ValueKind != JsonValueKind.Object)
        {
            problems.Add(Path(prefix, name), "Must be an object.");
            return null;
        }
        foreach (var property in data.EnumerateObject())
            if (!Named(property, type.Utf8FieldNames))
                problems.Add(Path(Path(prefix, name), Safe(property.Name)), $"Unknown field for {type.Name}; its fields: {string.Join(", ", type.Fields.Select(f => f.Name))}.");
        var values = new object?[type.Fields.Count];
        var start = problems.Count;
        for (var i = 0; i < values.Length; i++)
        {
            var field = type.Fields[i];
            if (!data.TryGetProperty(field.Utf8Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (field.Required) problems.Add(Path(Path(prefix, name), field.Name), "Required.");
                continue;
            }
            values[i] = ReadField(field, value, today, problems, prefix, name, asRecorded);
        }
        // a breakdown by country is of the count beside it (those of other or unknown nationality are not in it)
        var (total, breakdown) = type.CountAndBreakdown;
        if (!asRecorded && problems.Count == start && total >= 0 && values[total] is int count && values[breakdown] is Dictionary<string, int> counts
            && counts.Values.Sum(n => (long)n) is var sum && sum > count)
            problems.Add(Path(Path(prefix, name), type.Fields[breakdown].Name), $"Its numbers add up to {sum}, more than {type.Fields[total].Name} ({count}).");
        return problems.Count > start ? null : values;
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private static object? ReadField(FieldSpec field, JsonElement value, DateOnly today, Problems problems, string prefix, string dataName, bool asRecorded)
    {
        string At() => Path(Path(prefix, dataName), field.Name);
        string? problem;
        switch (field.Kind)
        {
            case FieldKind.Text or FieldKind.Country:
                var text = field.Kind == FieldKind.Country ? CheckCountry(value, out problem) : CheckText(value, MaxText, out problem, asRecorded, oneLine: !field.Prose);
                if (problem is not null) problems.Add(At(), problem);
                return text;
            case FieldKind.TextList or FieldKind.CountryList:
                if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxItems)
                {
                    problems.Add(At(), $"Must be an array of 1 to {MaxItems} items.");
                    return null;
                }
                var items = new List<string>(value.GetArrayLength());
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var read = field.Kind == FieldKind.CountryList ? CheckCountry(item, out problem) : CheckText(item, MaxName, out problem, asRecorded, oneLine: true);
                    if (problem is not null) problems.Add($"{At()}[{i}]", problem);
                    else items.Add(read!);
                    i++;
                }
                return items;
            case FieldKind.Count:
                var count = CheckCount(value, out problem);
                if (problem is not null) problems.Add(At(), problem);
                return count;
            case FieldKind.CountryCounts:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    problems.Add(At(), "Must be an object of country code → number.");
                    return null;
                }
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var entry in value.EnumerateObject())
                {
                    var key = entry.Name;
                    var nationality = key.Length == 2 ? Countries.Normalize(key) : null;
                    if (nationality is null) problems.Add($"{At()}.{Safe(key)}", "Not an ISO 3166-1 alpha-2 country code.");
                    var n = CheckCount(entry.Value, out problem);
                    if (problem is not null) problems.Add($"{At()}.{Safe(key)}", problem);
                    if (nationality is not null && !asRecorded && counts.ContainsKey(nationality))
                        problems.Add($"{At()}.{Safe(key)}", $"{nationality} is given twice (country codes are read in any case): give each country once.");
                    else if (nationality is not null && n is not null) counts[nationality] = n.Value;
                }
                return counts;
            case FieldKind.Choice:
                var choice = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                for (var c = 0; choice is not null && c < field.Choices.Count; c++)
                    if (field.Choices[c] == choice) return field.ChoiceValues[c];
                problems.Add(At(), $"Must be one of: {string.Join(", ", field.Choices)}.");
                return null;
            case FieldKind.EventRef:
                var id = CheckId(value, out problem);
                if (problem is not null) problems.Add(At(), problem);
                return id;
            case FieldKind.Patch:
                // an empty patch would record a correction that corrects nothing
                if (value.ValueKind != JsonValueKind.Object || (value.GetPropertyCount() == 0 && !asRecorded) || !AllTextSafe(value))
                {
                    problems.Add(At(), "Must be a JSON Merge Patch object of occurredOn, summary and data, naming at least one of them.");
                    return null;
                }
                var patch = JsonNode.Parse(value.GetRawText())!;
                if (!asRecorded && patch["data"] is JsonObject patched) SpaceOneLineFields(patched);
                return patch;
            case FieldKind.Source:
                return ReadSource(value, today, problems, Path(prefix, dataName), field.Name, index: -1, asRecorded);
            default:
                throw new InvalidOperationException(field.Kind.ToString());
        }
    }

    private static IReadOnlyList<Source>? ReadSources(JsonElement body, DateOnly today, Problems problems, string prefix, bool asRecorded)
    {
        if (!body.TryGetProperty("sources", out var sources) || sources.ValueKind != JsonValueKind.Array || sources.GetArrayLength() == 0)
        {
            problems.Add(Path(prefix, "sources"), "At least one source (with an outlet) is required.");
            return null;
        }
        if (sources.GetArrayLength() > MaxItems)
        {
            problems.Add(Path(prefix, "sources"), $"At most {MaxItems} sources.");
            return null;
        }
        var result = new List<Source>(sources.GetArrayLength());
        var i = 0;
        foreach (var element in sources.EnumerateArray())
            if (ReadSource(element, today, problems, prefix, "sources", i++, asRecorded) is { } source) result.Add(source);
        return result.Count == sources.GetArrayLength() ? result : null;
    }

    /// <summary>A source at <paramref name="name"/> (item <paramref name="index"/> of it when ≥ 0), published by
    /// <paramref name="today"/> (a day later allowed: the publisher's day may have begun before the ledger's).</summary>
    private static Source? ReadSource(JsonElement element, DateOnly today, Problems problems, string prefix, string name, int index, bool asRecorded)
    {
        string path() => index < 0 ? Path(prefix, name) : $"{Path(prefix, name)}[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(path(), "A source must be an object with an outlet.");
            return null;
        }
        var start = problems.Count;
        foreach (var property in element.EnumerateObject())
            if (!Named(property, SourceFields))
                problems.Add($"{path()}.{Safe(property.Name)}", "Unknown field; a source has outlet, title, url, publishedOn.");
        string? SourceText(string field, int max, bool required)
        {
            if (element.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                var text = CheckText(value, max, out var problem, asRecorded, oneLine: true);
                if (problem is not null) problems.Add($"{path()}.{field}", problem);
                return text;
            }
            if (required) problems.Add($"{path()}.{field}", "Required.");
            return null;
        }
        var outlet = SourceText("outlet", MaxName, required: true);
        var title = SourceText("title", MaxText, required: false);
        var url = SourceText("url", MaxUrl, required: false);
        if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            problems.Add($"{path()}.url", "Must be an absolute http(s) URL.");
        DateOnly? published = null;
        if (element.TryGetProperty("publishedOn", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind == JsonValueKind.String && Occurrence.TryParse(p.GetString(), out var o) && o.Precision == Precision.Day && o.Start >= Occurrence.Earliest)
            {
                if (o.Start > today.AddDays(1)) problems.Add($"{path()}.publishedOn", $"A source cannot be published after {today.AddDays(1):yyyy-MM-dd}.");
                else published = o.Start;
            }
            else problems.Add($"{path()}.publishedOn", "Must be a real date, YYYY-MM-DD.");
        }
        return problems.Count > start ? null : new Source(outlet!, title, url, published);
    }

    private static Occurrence? ReadOccurrence(JsonElement body, string name, DateOnly today, Problems problems, string prefix, bool required)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) problems.Add(Path(prefix, name), "Required: YYYY-MM-DD, YYYY-MM or YYYY.");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !Occurrence.TryParse(value.GetString(), out var occurrence))
        {
            problems.Add(Path(prefix, name), "Must be a real date as YYYY-MM-DD, YYYY-MM or YYYY.");
            return null;
        }
        if (occurrence.Start < Occurrence.Earliest || occurrence.Start > today.AddYears(1))
        {
            problems.Add(Path(prefix, name), $"Must fall between {Occurrence.Earliest:yyyy-MM-dd} and {today.AddYears(1):yyyy-MM-dd}.");
            return null;
        }
        return occurrence;
    }

    private static string? ReadText(JsonElement body, string name, int max, Problems problems, string prefix, bool required, bool asRecorded)
    {
        if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            var text = CheckText(value, max, out var problem, asRecorded, oneLine: false);
            if (problem is not null) problems.Add(Path(prefix, name), problem);
            return text;
        }
        if (required) problems.Add(Path(prefix, name), "Required.");
        return null;
    }

    private static IReadOnlyList<Guid> ReadIds(JsonElement body, string name, Problems problems, string prefix, bool asRecorded)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxItems)
        {
            problems.Add(Path(prefix, name), $"Must be an array of at most {MaxItems} event ids.");
            return [];
        }
        if (value.GetArrayLength() == 0) return [];
        var ids = new List<Guid>(value.GetArrayLength());
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (CheckId(item, out var problem) is not { } id) problems.Add($"{Path(prefix, name)}[{i}]", problem!);
            else if (!asRecorded && ids.Contains(id)) problems.Add($"{Path(prefix, name)}[{i}]", "The same event as an earlier item: name each event once.");
            else ids.Add(id);
            i++;
        }
        return ids;
    }

    private static Guid? ReadId(JsonElement body, string name, Problems problems, string prefix, bool required)
    {
        if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            var id = CheckId(value, out var problem);
            if (problem is not null) problems.Add(Path(prefix, name), problem);
            return id;
        }
        if (required) problems.Add(Path(prefix, name), "Required.");
        return null;
    }

    private static Guid? CheckId(JsonElement value, out string? problem)
    {
        problem = null;
        // exactly the 36 characters: TryParseExact alone lets surrounding white space through
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: 36 } text && Guid.TryParseExact(text, "D", out var id) && id != Guid.Empty) return id;
        problem = "Must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).";
        return null;
    }

    private static int? CheckCount(JsonElement value, out string? problem)
    {
        problem = null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n is >= 0 and <= MaxCount) return n;
        problem = $"Must be a whole number from 0 to {MaxCount}.";
        return null;
    }

    private static string? CheckCountry(JsonElement value, out string? problem)
    {
        problem = null;
        var given = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var code = given?.Length == 2 ? Countries.Normalize(given) : null;
        if (code is null) problem = "Must be an ISO 3166-1 alpha-2 country code, e.g. \"US\".";
        return code is null ? null : SharedStrings.Share(code);
    }

    /// <param name="oneLine">a name, a title, a place (any text but a summary, a gist or a reason): no tab nor line break,
    /// which would make "a\tb" another register row than "a b", and break the line of a CSV cell</param>
    /// <param name="asRecorded">text a ledger recorded before the rules added since (one line, blank letters) were</param>
    private static string? CheckText(JsonElement value, int max, out string? problem, bool asRecorded, bool oneLine)
    {
        problem = null;
        if (value.ValueKind != JsonValueKind.String)
        {
            problem = "Must be a string.";
            return null;
        }
        var text = value.GetString()!;
        if (!Visible(text, blankLetters: !asRecorded)) problem = "Must not be empty (white space and invisible format characters alone do not count).";
        // characters as people count them (code points): an emoji is one, though two UTF-16 units
        else if (text.Length > max && text.Length - text.Count(char.IsLowSurrogate) > max) problem = $"At most {max} characters.";
        else problem = TextProblem(text) ?? (oneLine && !asRecorded && text.AsSpan().IndexOfAny(LineBreaks) >= 0
            ? "Must be one line: no tab or line break (a summary, a gist or a reason may run over lines)." : null);
        return problem is not null ? null : SharedStrings.Share(oneLine && !asRecorded ? Spaced(text) : text);
    }

    /// <summary>The data fields that are one-line text (<see cref="Spaced"/>) in every fact type that has them: a
    /// correction's patch is read before its fact is found, and stores its text spaced as a new fact's, or the fold,
    /// which applies a stored patch as it was recorded, would bring "Belavia  Airlines" back as another register row.</summary>
    private static readonly HashSet<string> OneLineFields = [.. EventCatalog.All.SelectMany(t => t.Fields).GroupBy(f => f.Name)
        .Where(g => g.All(f => f.Kind is FieldKind.Text or FieldKind.TextList && !f.Prose)).Select(g => g.Key)];

    private static void SpaceOneLineFields(JsonObject data)
    {
        // a tab or a line break is left for the fact's rules to refuse, as in a new fact
        static JsonNode? Space(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) && text.AsSpan().IndexOfAny(LineBreaks) < 0
            ? Spaced(text) : node?.DeepClone();
        foreach (var (name, value) in data.ToList())
            if (OneLineFields.Contains(name))
                data[name] = value is JsonArray items ? new JsonArray([.. items.Select(Space)]) : Space(value);
    }

    /// <summary>One-line text with each run of spaces (a no-break space, an ideographic space, two spaces) as one space,
    /// none at its ends: "Belavia  Airlines" with two spaces, or a no-break space, was another register row and another
    /// name to search than "Belavia Airlines". Text a ledger recorded before this rule is read as it was.</summary>
    internal static string Spaced(string text)
    {
        var previous = ' ';
        var plain = true;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) && (c != ' ' || previous == ' ')) { plain = false; break; }
            previous = c;
        }
        if (plain && previous != ' ') return text;
        var spaced = new System.Text.StringBuilder(text.Length);
        foreach (var c in text.AsSpan().Trim())
            if (!char.IsWhiteSpace(c)) spaced.Append(c);
            else if (spaced[^1] != ' ') spaced.Append(' ');
        return spaced.ToString();
    }

    /// <summary>Whether the property is one of <paramref name="names"/>, compared as UTF-8 without reading its name into a string.</summary>
    private static readonly System.Buffers.SearchValues<char> LineBreaks = System.Buffers.SearchValues.Create("\t\n\r\u2028\u2029");

    private static bool Named(JsonProperty property, byte[][] names)
    {
        foreach (var name in names) if (property.NameEquals(name)) return true;
        return false;
    }

    private static byte[][] Utf8(params string[] names) => [.. names.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>Whether the text shows anything: a character that is not white space nor an invisible format
    /// character (a zero-width space, a byte order mark), nor, with <paramref name="blankLetters"/>, one of the letters
    /// and marks that Unicode draws as nothing (the Hangul fillers, the blank Braille pattern, the combining grapheme
    /// joiner, the Khmer inherent vowels, variation selectors).</summary>
    private static bool Visible(string text, bool blankLetters)
    {
        foreach (var c in text)
            if (!char.IsWhiteSpace(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format
                && !(blankLetters && c is '\u115F' or '\u1160' or '\u3164' or '\uFFA0' or '\u2800' or '\u034F' or '\u17B4' or '\u17B5'
                    or >= '\u180B' and <= '\u180F' or >= '\uFE00' and <= '\uFE0F'))
                return true;
        return false;
    }

    /// <summary>Control characters and unpaired surrogates cannot be stored (PostgreSQL jsonb refuses \u0000 and lone
    /// surrogates); noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF) are not text.</summary>
    public static string? TextProblem(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) return "Control characters are not allowed.";
            if (c is '\uFFFE' or '\uFFFF' or >= '\uFDD0' and <= '\uFDEF') return "Unicode noncharacters are not allowed.";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return "Invalid Unicode (unpaired surrogate).";
        }
        return null;
    }

    /// <summary>System.Text.Json parses "\ud800" (and bytes that are not UTF-8) but throws when asked for the string:
    /// find such text before reading. Valid UTF-8 with no escaped surrogate is readable throughout, which one pass over
    /// the raw bytes shows without decoding every string.</summary>
    private static (string Path, string Problem)? FirstUnreadableText(JsonElement element, string path) =>
        MayHoldUnreadableText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) ? FindUnreadableText(element, path) : null;

    private static bool MayHoldUnreadableText(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) return true;
        int at;
        while ((at = json.IndexOf("\\u"u8)) >= 0)
        {
            json = json[(at + 2)..];
            // \uD800–\uDFFF: a surrogate, which only GetString can tell paired from lone
            if (json.Length >= 2 && json[0] is (byte)'d' or (byte)'D' && json[1] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
                return true;
        }
        return false;
    }

    private static (string Path, string Problem)? FindUnreadableText(JsonElement element, string path)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        var name = property.Name;
                        if (FindUnreadableText(property.Value, Path(path, Safe(name))) is { } inner) return inner;
                    }
                    return null;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                        if (FindUnreadableText(item, $"{path}[{i++}]") is { } inner) return inner;
                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            var valid = System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));
            return (path.Length == 0 ? "$" : path, valid ? "Invalid Unicode (an unpaired surrogate escape)." : "Not UTF-8 text.");
        }
    }

    private static bool AllTextSafe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => TextProblem(element.GetString()!) is null,
        JsonValueKind.Object => element.EnumerateObject().All(p => TextProblem(p.Name) is null && AllTextSafe(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().All(AllTextSafe),
        _ => true,
    };

    /// <summary>A field name echoed back in an error, made safe to store and show.</summary>
    private static string Safe(string name) => TextProblem(name) is null && name.Length <= 100 ? name : "(invalid name)";

    private static string Path(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}
