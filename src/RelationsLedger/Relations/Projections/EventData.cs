using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations.Projections;

/// <summary>An event's own fields (its <c>data</c>) in a timeline row: as stored, when the row is read back, or as the
/// event that has them, when the row is being made — then they are written straight into the row's JSON instead of
/// being serialized into a document first and copied out of it (every new row, and a million in a rebuild).</summary>
[JsonConverter(typeof(EventDataJson))]
public sealed class EventData
{
    private readonly LedgerEvent? _event;
    private readonly JsonElement _stored;

    private EventData(LedgerEvent? e, JsonElement stored) => (_event, _stored) = (e, stored);

    public static EventData Of(LedgerEvent e) => new(e, default);

    public static EventData Stored(JsonElement element) => new(null, element);

    public JsonElement Element => _event is null ? _stored : EventCatalog.DataElementOf(_event);

    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_event is null) _stored.WriteTo(writer);
        else JsonSerializer.Serialize(writer, _event, _event.GetType(), LedgerJson.DataOptions);
    }
}

/// <summary>Kept in the row as a JSON string, not an object: jsonb orders an object's keys its own way (by length),
/// and a corrected fact read from its row would then list its data, and a breakdown's countries, in another order than
/// every other read of it, and than a timeline pinned to a basis. Rows written before are objects, and are read as such.</summary>
public sealed class EventDataJson : JsonConverter<EventData>
{
    public override EventData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) return EventData.Stored(JsonElement.ParseValue(ref reader));
        using var document = JsonDocument.Parse(reader.GetString()!);
        return EventData.Stored(document.RootElement.Clone());
    }

    public override void Write(Utf8JsonWriter writer, EventData value, JsonSerializerOptions options)
    {
        var text = new System.Buffers.ArrayBufferWriter<byte>();
        using (var inner = new Utf8JsonWriter(text)) value.WriteTo(inner);
        writer.WriteStringValue(text.WrittenSpan);
    }
}
