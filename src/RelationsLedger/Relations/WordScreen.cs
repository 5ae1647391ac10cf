using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RelationsLedger.Relations;

/// <summary>Words screened against texts as people type them: every word must occur in one of the texts, in any order,
/// case, accents and punctuation ignored — "lukasenka aliaksandr" finds "Aliaksandr Łukašenka", "ofac 123" finds the id
/// "OFAC-123". Words are compared by containment, so part of a word finds the whole ("belav" finds "Belavia").
/// Spellings in other alphabets or transliterations are not matched (Lukashenko is not Lukashenka). The register
/// screens a target's name and id with it, the timeline an event's text.</summary>
public sealed class WordScreen
{
    public const int MaxLength = 200;

    private readonly string[] _words;

    private WordScreen(string[] words) => _words = words;

    /// <summary>The screen of <paramref name="text"/>, or null when it holds no letter or digit to screen by.</summary>
    public static WordScreen? Of(string text) => Words(text) is { Length: > 0 } words ? new WordScreen(words) : null;

    /// <summary>The words, each once, in one order: screens with the same key match the same texts.</summary>
    public string Key => string.Join(' ', _words.Distinct().Order(StringComparer.Ordinal));

    public bool Matches(params IEnumerable<string?> texts)
    {
        // ASCII text is searched as it is, in any case: a word (letters and digits only) occurs in a text's fold
        // exactly where it occurs in the text. Only other text is folded, which allocates
        var searched = texts.OfType<string>().Select(t => System.Text.Ascii.IsValid(t) ? t : Fold(t)).ToList();
        return _words.All(w => searched.Exists(t => t.Contains(w, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>An event's text for a reader: its summary, every value of its data, its sources' outlets and titles.</summary>
    public static IEnumerable<string> TextOf(LedgerEvent e) =>
        [e.Summary, .. Values(EventCatalog.DataElementOf(e)), .. e.Sources.SelectMany(s => new[] { s.Outlet, s.Title }.OfType<string>())];

    private static IEnumerable<string> Values(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Values(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Values),
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Number => [element.GetRawText()],
        _ => [],
    };

    private static string[] Words(string text) => Fold(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Lower case, accents dropped, and everything that is not a letter or digit a space. Letters that do not
    /// decompose into a base and an accent get their usual Latin spelling.</summary>
    public static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
            var lower = char.ToLowerInvariant(c);
            folded.Append(lower switch
            {
                'ł' => "l", 'đ' => "d", 'ø' => "o", 'ß' => "ss", 'æ' => "ae", 'œ' => "oe", 'ı' => "i", 'þ' => "th", 'ð' => "d",
                _ when char.IsLetterOrDigit(lower) => lower.ToString(),
                _ => " ",
            });
        }
        return folded.ToString();
    }

    /// <summary>The screen of a query's <paramref name="text"/> (trimmed; none when blank), or a problem named
    /// <paramref name="field"/> when it is too long, holds a control character or no letter or digit.</summary>
    public static WordScreen? Parse(string? text, string field, Recording.Problems problems, string what)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.Trim();
        var screen = trimmed.Length <= MaxLength && Recording.SubmissionReader.TextProblem(trimmed) is null ? Of(trimmed) : null;
        if (screen is null) problems.Add(field, $"At most {MaxLength} printable characters, with a letter or digit: {what}.");
        return screen;
    }
}
