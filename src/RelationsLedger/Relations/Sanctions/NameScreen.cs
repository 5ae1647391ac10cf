using System.Globalization;
using System.Text;

namespace RelationsLedger.Relations.Sanctions;

/// <summary>A name screened against the register's targets as compliance staff type it: every word of it must occur in
/// the target's name or id, in any order, case, accents and punctuation ignored — "lukasenka aliaksandr" finds
/// "Aliaksandr Łukašenka", "ofac 123" finds the id "OFAC-123". Words are compared by containment, so part of a word
/// finds the whole ("belav" finds "Belavia"). Spellings of one name in other alphabets or transliterations are not
/// matched (Lukashenko is not Lukashenka).</summary>
public sealed class NameScreen
{
    private readonly string[] _words;

    private NameScreen(string[] words) => _words = words;

    /// <summary>The screen of <paramref name="text"/>, or null when it holds no letter or digit to screen by.</summary>
    public static NameScreen? Of(string text) => Words(text) is { Length: > 0 } words ? new NameScreen(words) : null;

    public bool Matches(string target, string? targetId)
    {
        var name = Fold(target);
        var id = targetId is null ? "" : Fold(targetId);
        return _words.All(w => name.Contains(w, StringComparison.Ordinal) || id.Contains(w, StringComparison.Ordinal));
    }

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
}
