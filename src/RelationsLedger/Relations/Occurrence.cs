using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations;

public enum Precision { Year, Month, Day }

/// <summary>When a fact happened, to the precision its sources give: "2025", "2025-09" or "2025-09-11".
/// Ordered by the first day of its period.</summary>
[JsonConverter(typeof(OccurrenceJsonConverter))]
public readonly record struct Occurrence(DateOnly Start, Precision Precision) : IComparable<Occurrence>
{
    public static readonly DateOnly Earliest = new(1900, 1, 1);

    public override string ToString() => Precision switch
    {
        Precision.Year => Start.ToString("yyyy", CultureInfo.InvariantCulture),
        Precision.Month => Start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        _ => Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    public int CompareTo(Occurrence other) => Start.CompareTo(other.Start);

    public static bool TryParse(string? text, out Occurrence occurrence)
    {
        occurrence = default;
        if (text is null) return false;
        var (format, precision) = text.Length switch
        {
            4 => ("yyyy", Precision.Year),
            7 => ("yyyy-MM", Precision.Month),
            10 => ("yyyy-MM-dd", Precision.Day),
            _ => ("", Precision.Day),
        };
        if (format == "" || !DateOnly.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
            return false;
        occurrence = new Occurrence(start, precision);
        return true;
    }

    public static Occurrence Parse(string text) =>
        TryParse(text, out var o) ? o : throw new FormatException($"'{text}' is not YYYY, YYYY-MM or YYYY-MM-DD");
}

public sealed class OccurrenceJsonConverter : JsonConverter<Occurrence>
{
    public override Occurrence Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Occurrence.TryParse(reader.GetString(), out var o) ? o : throw new JsonException("occurredOn must be YYYY, YYYY-MM or YYYY-MM-DD");

    public override void Write(Utf8JsonWriter writer, Occurrence value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
