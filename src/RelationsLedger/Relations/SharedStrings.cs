using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations;

/// <summary>Short strings read from JSON are shared instead of allocated each time: a pair's issuers, targets,
/// programs, measures, cities, outlets and names repeat across thousands of its events, and a cached history held one
/// copy per event. A fixed table of the last string read into each slot of a hash, so it never grows and a miss costs
/// only the allocation it would have cost anyway; strings are immutable, so sharing one is invisible.</summary>
public sealed class SharedStrings : JsonConverter<string>
{
    private const int MaxBytes = 64;
    private const int Slots = 4096;

    private sealed class Entry(byte[] utf8, string text)
    {
        public readonly byte[] Utf8 = utf8;
        public readonly string Text = text;
    }

    private static readonly Entry?[] Table = new Entry?[Slots];
    private static readonly string?[] Texts = new string?[Slots];

    /// <summary>The shared copy of a short text already read (a validated submission's fields): an import holds every
    /// event of its file until all of them are checked.</summary>
    public static string Share(string text)
    {
        if (text.Length > MaxBytes) return text;
        ref var slot = ref Texts[string.GetHashCode(text.AsSpan()) & (Slots - 1)];
        var shared = Volatile.Read(ref slot);
        if (shared is not null && string.Equals(shared, text, StringComparison.Ordinal)) return shared;
        Volatile.Write(ref slot, text);
        return text;
    }

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxBytes)
            return reader.GetString();
        var bytes = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(bytes);
        var slot = hash.ToHashCode() & (Slots - 1);
        var entry = Volatile.Read(ref Table[slot]);
        if (entry is not null && bytes.SequenceEqual(entry.Utf8)) return entry.Text;
        var text = reader.GetString()!;
        Volatile.Write(ref Table[slot], new Entry(bytes.ToArray(), text));
        return text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    // dictionary keys (a problem's errors, a state's rows): System.Text.Json falls back to its own string converter for
    // them only while the options' resolver is not a source-generated context, so a custom one must handle them.
    // Written as they are: the ledger's options set no DictionaryKeyPolicy
    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Read(ref reader, typeToConvert, options)!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
}
