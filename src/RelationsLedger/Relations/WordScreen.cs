using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RelationsLedger.Relations;

/// <summary>How a screen's word was found in a text (<see cref="WordScreen.Explain"/>): <see cref="Found"/> is the text's
/// word as the text spells it, <see cref="Text"/> which of the texts screened holds it.</summary>
public sealed record WordFound(string Word, string Found, int Text, string How)
{
    public const string AsTyped = "as typed", OtherSpelling = "other spelling", LetterApart = "a letter apart", TwoLettersApart = "two letters apart";

    public override string ToString() => How == AsTyped ? $"{Word}: {Found}" : $"{Word} ~ {Found} ({How})";
}

/// <summary>How words are matched (<c>match</c> beside <c>q</c> or <c>target</c>): as typed, in any case and accent, or in
/// other spellings as well.</summary>
public enum WordMatch { Words, Similar }

/// <summary>Words screened against texts as people type them: every word must occur in one of the texts, in any order,
/// case, accents and punctuation ignored — "lukasenka aliaksandr" finds "Aliaksandr Łukašenka", "ofac 123" finds the id
/// "OFAC-123". Words are compared by containment, so part of a word finds the whole ("belav" finds "Belavia"). Cyrillic
/// is read in its Latin transliteration ("Лукашенко" finds "Lukashenko"). With <see cref="Similar"/> a word also finds
/// the other spellings of a name (<see cref="Spelling"/>): "Lukashenko" finds "Łukašenka", "Grodno" finds "Hrodna".
/// The register screens a target's name and id with it, the timeline an event's text.</summary>
public sealed class WordScreen
{
    public const int MaxLength = 200;

    private readonly string[] _words;

    // the words as typed, folded (in similar spellings, _words are their spellings)
    private readonly string[] _typed;

    private readonly byte[][] _utf8;

    private WordScreen(string[] typed, bool similar)
    {
        (_typed, _words, Similar) = (typed, similar ? [.. typed.Select(Spelling)] : typed, similar);
        _utf8 = [.. _words.Select(w => Encoding.UTF8.GetBytes(w))];
    }

    /// <summary>Other spellings of a word match too: transliterations and a letter or two apart.</summary>
    public bool Similar { get; }

    /// <summary>The screen of <paramref name="text"/>, or null when it holds no letter or digit to screen by.</summary>
    public static WordScreen? Of(string text, bool similar = false) =>
        Words(text) is { Length: > 0 } words ? new WordScreen(words, similar) : null;

    /// <summary>The words, each once, in one order: screens with the same key match the same texts.</summary>
    public string Key => (Similar ? "~ " : "") + string.Join(' ', _words.Distinct().Order(StringComparer.Ordinal));

    public bool Matches(params IEnumerable<string?> texts)
    {
        if (Similar)
        {
            var spelt = texts.OfType<string>().SelectMany(Words).Select(Spelling).ToList();
            return _words.All(w => spelt.Exists(t => Near(w, t)));
        }
        // ASCII text is searched as it is, in any case: a word (letters and digits only) occurs in a text's fold
        // exactly where it occurs in the text. Only other text is folded, which allocates
        var searched = texts.OfType<string>().Select(t => System.Text.Ascii.IsValid(t) ? t : Fold(t)).ToList();
        return _words.All(w => searched.Exists(t => t.Contains(w, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Why <paramref name="texts"/> match, a word of the screen at a time, or null when they do not (exactly
    /// when <see cref="Matches"/> is false): the word as typed, the text's word that it found as the text spells it,
    /// which text (its index), and how — as typed, in another spelling, or a letter or two apart. A reviewer of a
    /// screening hit reads there why the row is listed.</summary>
    public IReadOnlyList<WordFound>? Explain(params string?[] texts)
    {
        var words = texts.SelectMany((text, i) => text is null ? [] : Tokens(text)
            .SelectMany(token => Words(token).Select(folded => (Text: i, Token: token, Folded: folded, Spelt: Similar ? Spelling(folded) : folded)))).ToList();
        var found = new WordFound[_words.Length];
        for (var k = 0; k < _words.Length; k++)
        {
            var best = int.MaxValue;
            foreach (var (text, token, folded, spelt) in words)
            {
                // accepted as Matches accepts it; the rest only names how
                if (Similar ? !Near(_words[k], spelt) : !folded.Contains(_words[k], StringComparison.Ordinal)) continue;
                var (rank, how) = folded.Contains(_typed[k], StringComparison.Ordinal) ? (0, WordFound.AsTyped)
                    : spelt.Contains(_words[k], StringComparison.Ordinal) ? (1, WordFound.OtherSpelling)
                    : Distance(_words[k], spelt) is 1 ? (2, WordFound.LetterApart) : (3, WordFound.TwoLettersApart);
                if (rank >= best) continue;
                (best, found[k]) = (rank, new WordFound(_typed[k], token, text, how));
                if (rank == 0) break;
            }
            if (best == int.MaxValue) return null;
        }
        return found;
    }

    /// <summary>A text's words as it spells them: the runs between characters that fold to a space (punctuation,
    /// spaces), whole graphemes (a letter with its accents).</summary>
    private static IEnumerable<string> Tokens(string text)
    {
        var token = new StringBuilder();
        var graphemes = StringInfo.GetTextElementEnumerator(text);
        while (graphemes.MoveNext())
        {
            var grapheme = (string)graphemes.Current;
            var folded = Fold(grapheme);
            if (folded.Length > 0 && string.IsNullOrWhiteSpace(folded))
            {
                if (token.Length > 0) yield return token.ToString();
                token.Clear();
            }
            else token.Append(grapheme);
        }
        if (token.Length > 0) yield return token.ToString();
    }

    /// <summary>False only when no text in <paramref name="json"/> (UTF-8) can match: JSON of ASCII alone, without a
    /// \u escape (which may stand for any letter), in which a word does not occur in any case. There every text is
    /// compared as it is (<see cref="Matches"/>), and the JSON's other escapes stand for characters that are not letters
    /// or digits, so no word is split; a search skips reading the events this rules out. Other JSON, and similar
    /// spellings, may match.</summary>
    public bool MayMatch(ReadOnlySpan<byte> json)
    {
        if (Similar || !Ascii.IsValid(json) || json.IndexOf("\\u"u8) >= 0) return true;
        Span<byte> lower = json.Length <= 1024 ? stackalloc byte[1024] : new byte[json.Length];
        lower = lower[..json.Length];
        Ascii.ToLower(json, lower, out _);
        foreach (var word in _utf8)
            if (lower.IndexOf(word) < 0) return false;
        return true;
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

    /// <summary>A typed word finds a text's word that holds it, or, when it has four letters or more and no digit (an
    /// id's number is exact), one a letter apart (two from eight letters on): "lukasenko" finds "lukasenka". A word
    /// spelt with one letter finds only that word: "Щ" is spelt "s", which nearly every word holds.</summary>
    private static bool Near(string word, string text) =>
        (word.Length > 1 ? text.Contains(word, StringComparison.Ordinal) : text == word)
        || (word.Length >= 4 && !word.Any(char.IsAsciiDigit) && Math.Abs(word.Length - text.Length) <= 2 && Distance(word, text) <= (word.Length >= 8 ? 2 : 1));

    /// <summary>The letters a folded word is spelt with however it was transliterated: the digraphs of Slavic
    /// romanizations as one letter (sh, zh, ch, kh, ts, shch), y and j as i, "ia"/"ya" as e (Belarusian "Aliaksandr",
    /// Russian "Aleksandr"), g as h (Belarusian "Hrodna", Russian "Grodno"), v and w as u (Belarusian "Karaeu", Russian
    /// "Karaev"), x as ks, a doubled letter once.</summary>
    public static string Spelling(string folded)
    {
        var spelt = folded;
        foreach (var (from, to) in Spellings) spelt = spelt.Replace(from, to, StringComparison.Ordinal);
        var once = new StringBuilder(spelt.Length);
        foreach (var c in spelt) if (once.Length == 0 || once[^1] != c) once.Append(c);
        return once.ToString();
    }

    private static readonly (string, string)[] Spellings =
    [
        ("shch", "s"), ("sch", "s"), ("sh", "s"), ("zh", "z"), ("ch", "c"), ("kh", "h"), ("ts", "c"), ("tz", "c"), ("ck", "k"), ("ph", "f"),
        ("x", "ks"), ("q", "k"), ("w", "u"), ("v", "u"), ("ia", "e"), ("ya", "e"), ("ja", "e"), ("y", "i"), ("j", "i"), ("g", "h"),
    ];

    /// <summary>Levenshtein distance: the fewest letters inserted, deleted or replaced to turn one into the other.</summary>
    private static int Distance(string a, string b)
    {
        Span<int> row = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) row[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>Russian, Belarusian and Ukrainian letters (а–я; ё, й, ў, ї are these with a mark) as the usual
    /// romanization spells them.</summary>
    private static readonly string[] Cyrillic =
        ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"];

    /// <summary>Lower case, accents dropped, Cyrillic in Latin letters, and everything that is not a letter or digit a
    /// space. Letters that do not decompose into a base and an accent get their usual Latin spelling.</summary>
    public static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        Span<char> decomposed = stackalloc char[3];
        foreach (var raw in text)
        {
            Decompositions.Append(raw, decomposed, out var count);
            foreach (var c in decomposed[..count])
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(c);
                if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
                var lower = char.ToLowerInvariant(c);
                var spelled = lower switch
                {
                    'ł' => "l", 'đ' => "d", 'ø' => "o", 'ß' => "ss", 'æ' => "ae", 'œ' => "oe", 'ı' => "i", 'þ' => "th", 'ð' => "d",
                    >= 'а' and <= 'я' => Cyrillic[lower - 'а'],
                    'і' => "i", 'є' => "ie", 'ґ' => "g",
                    _ => null,
                };
                if (spelled is not null) folded.Append(spelled);
                else folded.Append(char.IsLetterOrDigit(lower) ? lower : ' ');
            }
        }
        return folded.ToString();
    }

    /// <summary>The screen of a query's <paramref name="text"/> (trimmed; none when blank), or a problem named
    /// <paramref name="field"/> when it is too long, holds a control character or no letter or digit.</summary>
    public static WordScreen? Parse(string? text, string field, Recording.Problems problems, string what, bool similar = false)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.Trim();
        var screen = trimmed.Length <= MaxLength && Recording.SubmissionReader.TextProblem(trimmed) is null ? Of(trimmed, similar) : null;
        if (screen is null) problems.Add(field, $"At most {MaxLength} printable characters, with a letter or digit: {what}.");
        return screen;
    }
}
