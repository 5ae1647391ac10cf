using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RelationsLedger.Relations;

public enum FieldKind { Text, Country, TextList, CountryList, Count, CountryCounts, Choice, EventRef, Patch, Source }

public sealed record FieldSpec(string Name, FieldKind Kind, bool Required, IReadOnlyList<string> Choices)
{
    /// <summary>For a <see cref="FieldKind.Choice"/>: the enum's values, in the order of <see cref="Choices"/>.</summary>
    internal IReadOnlyList<object> ChoiceValues { get; init; } = [];

    /// <summary>Text that may run over lines (a gist, a reason); any other text field is one line.</summary>
    internal bool Prose => Kind == FieldKind.Text && Name is "gist" or "reason";

    /// <summary><see cref="Name"/> as JSON holds it: compared with a submission's member names without decoding them.</summary>
    internal byte[] Utf8Name { get; } = System.Text.Encoding.UTF8.GetBytes(Name);
}

public sealed record EventType(string Name, Type ClrType, IReadOnlyList<FieldSpec> Fields)
{
    public bool IsProvenance => ClrType.IsSubclassOf(typeof(ProvenanceEvent));

    internal byte[][] Utf8FieldNames { get; } = [.. Fields.Select(f => f.Utf8Name)];

    /// <summary>The count and its breakdown by country, where the type has both (-1 where not): the breakdown's numbers
    /// may not add up to more than the count.</summary>
    internal (int Total, int ByCountry) CountAndBreakdown { get; } = IndexesOf(Fields, FieldKind.Count, FieldKind.CountryCounts);

    private static (int, int) IndexesOf(IReadOnlyList<FieldSpec> fields, FieldKind first, FieldKind second)
    {
        var list = fields.ToList();
        var (a, b) = (list.FindIndex(f => f.Kind == first), list.FindIndex(f => f.Kind == second));
        return a >= 0 && b >= 0 ? (a, b) : (-1, -1);
    }

    /// <summary>The record's constructor: its parameters are <see cref="Fields"/>, in that order.</summary>
    internal ConstructorInfo Constructor { get; init; } = null!;
}

/// <summary>Every event type the ledger accepts, and the shape of its <c>data</c>, read off the event records.</summary>
public static class EventCatalog
{
    /// <summary>The fields that name countries (ISO alpha-2); every other name is free text.</summary>
    public static readonly IReadOnlySet<string> CountryFields = new HashSet<string>
    {
        "embassyOf", "expelledBy", "diplomatsOf", "ambassadorOf", "withdrawnBy", "envoyOf", "imposedBy", "easedBy",
        "liftedBy", "releasedBy", "onBehalfOf", "deniedBy", "observersOf", "parties", "transferredTo",
    };

    public static readonly IReadOnlyDictionary<string, EventType> ByName = typeof(LedgerEvent).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(LedgerEvent)) && !t.IsAbstract)
        .Select(Describe)
        .ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly Dictionary<Type, EventType> ByClr = ByName.Values.ToDictionary(t => t.ClrType);

    public static EventType Of(LedgerEvent e) => ByClr[e.GetType()];

    public static IEnumerable<EventType> All => ByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    /// <summary>The types by name in any case: a query names them as a person types them.</summary>
    public static readonly IReadOnlyDictionary<string, EventType> ByNameInAnyCase = ByName.Values.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The event's own data: its record minus the envelope.</summary>
    public static JsonObject DataOf(LedgerEvent e) => (JsonObject)JsonSerializer.SerializeToNode(e, e.GetType(), LedgerJson.DataOptions)!;

    /// <summary><see cref="DataOf"/> as an element: what read models store, without building a node tree.</summary>
    public static JsonElement DataElementOf(LedgerEvent e) => JsonSerializer.SerializeToElement(e, e.GetType(), LedgerJson.DataOptions);

    /// <summary>The correctable part of an event: what an EventCorrected patch applies to.</summary>
    public static JsonObject CorrectableOf(LedgerEvent e) => new()
    {
        ["occurredOn"] = e.OccurredOn.ToString(),
        ["summary"] = e.Summary,
        ["data"] = DataOf(e),
    };

    /// <summary>Builds the typed event from data given as JSON (examples, tests): deserialized as the store reads it.</summary>
    public static LedgerEvent Create(EventType type, JsonObject data, Guid id, Occurrence occurredOn, string summary,
        IReadOnlyList<Source> sources, IReadOnlyList<Guid> relatedEventIds) =>
        WithEnvelope((LedgerEvent)data.Deserialize(type.ClrType, LedgerJson.Options)!, id, occurredOn, summary, sources, relatedEventIds);

    /// <summary>Builds the typed event from validated, normalized field values, one per <see cref="EventType.Fields"/>
    /// (null: not given), straight through its constructor — not written out as JSON and read back.</summary>
    public static LedgerEvent Create(EventType type, object?[] values, Guid id, Occurrence occurredOn, string summary,
        IReadOnlyList<Source> sources, IReadOnlyList<Guid> relatedEventIds) =>
        WithEnvelope((LedgerEvent)type.Constructor.Invoke(values), id, occurredOn, summary, sources, relatedEventIds);

    private static LedgerEvent WithEnvelope(LedgerEvent typed, Guid id, Occurrence occurredOn, string summary, IReadOnlyList<Source> sources, IReadOnlyList<Guid> relatedEventIds) =>
        typed with { Id = id, OccurredOn = occurredOn, Summary = summary, Sources = sources, RelatedEventIds = relatedEventIds };

    private static EventType Describe(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return new EventType(type.Name, type, constructor.GetParameters().Select(p => Field(p)).ToList()) { Constructor = constructor };
    }

    private static FieldSpec Field(ParameterInfo p)
    {
        var name = JsonNamingPolicy.CamelCase.ConvertName(p.Name!);
        var clr = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        var country = CountryFields.Contains(name);
        var kind = clr switch
        {
            _ when clr == typeof(string) => country ? FieldKind.Country : FieldKind.Text,
            _ when clr == typeof(IReadOnlyList<string>) => country ? FieldKind.CountryList : FieldKind.TextList,
            _ when clr == typeof(int) => FieldKind.Count,
            _ when clr == typeof(IReadOnlyDictionary<string, int>) => FieldKind.CountryCounts,
            _ when clr == typeof(Guid) => FieldKind.EventRef,
            _ when clr == typeof(JsonObject) => FieldKind.Patch,
            _ when clr == typeof(Source) => FieldKind.Source,
            _ when clr.IsEnum => FieldKind.Choice,
            _ => throw new InvalidOperationException($"{p.Member.DeclaringType!.Name}.{p.Name}: no field kind for {clr.Name}"),
        };
        var choices = clr.IsEnum ? Enum.GetNames(clr).Select(JsonNamingPolicy.CamelCase.ConvertName).ToList() : [];
        return new FieldSpec(name, kind, Required: !p.HasDefaultValue, choices) { ChoiceValues = clr.IsEnum ? [.. Enum.GetValues(clr).Cast<object>()] : [] };
    }
}

public static class LedgerJson
{
    public static readonly string[] EnvelopeKeys = ["id", "occurredOn", "summary", "sources", "relatedEventIds"];

    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>How a submitted event is parsed (a request body, a line of a file): a name given twice is refused, not
    /// read as its last value (which fields a client meant is then unknowable), and nesting is bounded.</summary>
    public static readonly JsonDocumentOptions Submitted = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    /// <summary>An event's own fields only (its <c>data</c>): the envelope's properties are left out.</summary>
    public static readonly JsonSerializerOptions DataOptions = new(Options)
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (!typeof(LedgerEvent).IsAssignableFrom(info.Type)) return;
                    foreach (var property in info.Properties.Where(p => EnvelopeKeys.Contains(p.Name)).ToList()) info.Properties.Remove(property);
                },
            },
        },
    };

    /// <summary>What broke in malformed JSON and where, counted from 1: System.Text.Json ends its message with
    /// "LineNumber: 0 | BytePositionInLine: 0.", counted from 0, which beside a file's "line 1" read as another line.</summary>
    public static string Malformed(JsonException ex, bool withLine = true)
    {
        var message = ex.Message;
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (at < 0 || ex.LineNumber is not { } line || ex.BytePositionInLine is not { } position) return message;
        return $"{message[..at].TrimEnd().TrimEnd('.')} (at {(withLine ? $"line {line + 1}, " : "")}byte {position + 1}).";
    }

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new SharedStrings());
        return options;
    }

    /// <summary>JSON Merge Patch (RFC 7396).</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject o ? (JsonObject)o.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = MergePatch(result[key], value);
        }
        return result;
    }
}
