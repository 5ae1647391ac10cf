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

    public override string ToString()
    {
        Span<char> text = stackalloc char[10];
        return new string(text[..Format(text)]);
    }

    /// <summary>"yyyy", "yyyy-MM" or "yyyy-MM-dd" into <paramref name="text"/> (10 chars at least); the length written.
    /// By hand, not through a custom date format: every event and every state row writes one.</summary>
    public int Format(Span<char> text)
    {
        static void Digits(Span<char> to, int value, int count)
        {
            for (var i = count - 1; i >= 0; i--, value /= 10) to[i] = (char)('0' + value % 10);
        }
        Digits(text, Start.Year, 4);
        if (Precision == Precision.Year) return 4;
        text[4] = '-';
        Digits(text[5..], Start.Month, 2);
        if (Precision == Precision.Month) return 7;
        text[7] = '-';
        Digits(text[8..], Start.Day, 2);
        return 10;
    }

    public int CompareTo(Occurrence other) => Start.CompareTo(other.Start);

    public static bool TryParse(string? text, out Occurrence occurrence)
    {
        occurrence = default;
        if (text is null) return false;
        if (TryParseDigits(text, out occurrence)) return true;
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

    /// <summary>The plain forms (ASCII digits, a real date) without the culture-aware parser, which every event read from
    /// the store or submitted went through; anything else is left to <see cref="DateOnly.TryParseExact(string, string, IFormatProvider, DateTimeStyles, out DateOnly)"/>.</summary>
    private static bool TryParseDigits(string text, out Occurrence occurrence)
    {
        occurrence = default;
        static int Digits(string t, int at, int count)
        {
            var value = 0;
            for (var i = at; i < at + count; i++)
            {
                if (!char.IsAsciiDigit(t[i])) return -1;
                value = value * 10 + (t[i] - '0');
            }
            return value;
        }
        var precision = text.Length switch { 4 => Precision.Year, 7 => Precision.Month, 10 => Precision.Day, _ => (Precision?)null };
        if (precision is null || (text.Length > 4 && text[4] != '-') || (text.Length > 7 && text[7] != '-')) return false;
        var year = Digits(text, 0, 4);
        var month = text.Length > 4 ? Digits(text, 5, 2) : 1;
        var day = text.Length > 7 ? Digits(text, 8, 2) : 1;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        occurrence = new Occurrence(new DateOnly(year, month, day), precision.Value);
        return true;
    }

    public static Occurrence Parse(string text) =>
        TryParse(text, out var o) ? o : throw new FormatException($"'{text}' is not YYYY, YYYY-MM or YYYY-MM-DD");
}

public sealed class OccurrenceJsonConverter : JsonConverter<Occurrence>
{
    public override Occurrence Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Occurrence.TryParse(reader.GetString(), out var o) ? o : throw new JsonException("occurredOn must be YYYY, YYYY-MM or YYYY-MM-DD");

    public override void Write(Utf8JsonWriter writer, Occurrence value, JsonSerializerOptions options)
    {
        Span<char> text = stackalloc char[10];
        writer.WriteStringValue(text[..value.Format(text)]);
    }
}
