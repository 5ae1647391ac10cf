using CsCheck;
using RelationsLedger.Relations;

namespace RelationsLedger.Tests.Unit;

public sealed class WordScreenTests
{
    [Theory]
    [InlineData("lukasenka aliaksandr", "Aliaksandr Łukašenka", null)]
    [InlineData("LUKAŠENKA", "Aliaksandr Lukasenka", null)]
    [InlineData("Lukashenko, Alexander", "Alexander Lukashenko", null)]
    [InlineData("belav", "Belavia Belarusian Airlines", null)]
    [InlineData("ofac 123", "Belavia", "OFAC-123")]
    [InlineData("OFAC-123", "Belavia", "ofac 123")]
    [InlineData("grodno azot", "JSC “Grodno Azot”", null)]
    [InlineData("Muller strasse", "Müller Straße", null)]
    [InlineData("belaruskali", "Belaruskali", "eu-2021-1")]
    [InlineData("belaruskali 2021", "Belaruskali", "eu-2021-1")]
    [InlineData("Лукашенко", "Alexander Lukashenko", null)]
    [InlineData("lukashenko", "Аляксандр Лукашэнка Lukashenko", null)]
    public void every_word_of_the_name_is_found_in_the_target_or_its_id_in_any_order_case_accent_and_punctuation(string screened, string target, string? id) =>
        Assert.True(WordScreen.Of(screened)!.Matches(target, id));

    /// <summary>The app runs in globalization-invariant mode, as these tests do, so accents come off by Unicode's
    /// decompositions from the app's own table, not ICU's <c>string.Normalize</c> (which decomposes nothing there).</summary>
    [Theory]
    [InlineData("Sanções, Bielorrússia", "sancoes  bielorrussia")]
    [InlineData("Ціханоўская", "tsikhanouskaya")]
    [InlineData("Йёлка", "ielka")]
    [InlineData("Αθήνα", "αθηνα")]
    [InlineData("Tiếng Việt", "tieng viet")]
    [InlineData("ガス", "カス")]
    [InlineData("한국", "\u1112\u1161\u11AB\u1100\u116E\u11A8")]
    [InlineData("a\u0378b", "a b")]
    public void a_fold_drops_accents_by_unicodes_decompositions_without_icu(string text, string folded) =>
        Assert.Equal(System.Text.RegularExpressions.Regex.Unescape(folded), WordScreen.Fold(System.Text.RegularExpressions.Regex.Unescape(text)));

    [Fact]
    public void these_tests_run_in_the_globalization_mode_the_app_runs_in()
    {
        static bool? Invariant(string file) =>
            (bool?)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, file)))!["runtimeOptions"]!["configProperties"]!["System.Globalization.Invariant"];
        Assert.True(Invariant("RelationsLedger.runtimeconfig.json"));
        Assert.Equal(Invariant("RelationsLedger.runtimeconfig.json"), Invariant("RelationsLedger.Tests.runtimeconfig.json"));
        // as the app, the tests have no ICU: Normalize decomposes nothing, so a fold that leaned on it would fail here
        Assert.Equal("\u00e9", "\u00e9".Normalize(System.Text.NormalizationForm.FormD));
    }

    [Fact]
    public void the_decomposition_table_is_in_code_point_order_and_leads_each_character_to_another_that_is_no_mark()
    {
        Assert.Equal(Decompositions.Keys.Length, Decompositions.Bases.Length);
        Assert.True(Decompositions.Keys.Length > 1400);
        for (var i = 0; i < Decompositions.Keys.Length; i++)
        {
            if (i > 0) Assert.True(Decompositions.Keys[i - 1] < Decompositions.Keys[i], $"U+{(int)Decompositions.Keys[i]:X4} out of order");
            var (key, @base) = (Decompositions.Keys[i], Decompositions.Bases[i]);
            Assert.NotEqual(key, @base);
            Assert.False(System.Globalization.CharUnicodeInfo.GetUnicodeCategory(@base) is System.Globalization.UnicodeCategory.NonSpacingMark
                or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.EnclosingMark, $"U+{(int)key:X4} leads to a mark");
        }
    }

    [Theory]
    [InlineData("lukashenko", "Aliaksandr Lukashenka", null)]
    [InlineData("belavia azot", "Belavia", null)]
    [InlineData("ofac-124", "Belavia", "OFAC-123")]
    [InlineData("Лукашенка", "Lukashenko", null)]
    [InlineData("grodno azot", "Hrodna Azot", null)]
    [InlineData("Tikhanovskaya", "Sviatlana Tsikhanouskaya", null)]
    public void a_word_missing_from_both_is_not_a_match(string screened, string target, string? id) =>
        Assert.False(WordScreen.Of(screened)!.Matches(target, id));

    [Theory]
    [InlineData("lukashenko", "Aliaksandr Łukašenka", null)]
    [InlineData("Lukashenko, Alexander", "Аляксандр Лукашэнка", null)]
    [InlineData("Aleksandr Lukashenka", "Alexander Lukashenko", null)]
    [InlineData("grodno azot", "Hrodna Azot", null)]
    [InlineData("Tikhanovskaya", "Sviatlana Tsikhanouskaya", null)]
    [InlineData("Yuri Karayev", "Interior Minister Yuriy Karaeu", null)]
    [InlineData("belav", "Belavia Belarusian Airlines", null)]
    [InlineData("ofac 123", "Belavia", "OFAC-123")]
    public void similar_spellings_find_transliterations_and_names_a_letter_or_two_apart(string screened, string target, string? id) =>
        Assert.True(WordScreen.Of(screened, similar: true)!.Matches(target, id));

    [Theory]
    [InlineData("belavia azot", "Belavia", null)]
    [InlineData("ofac-124", "Belavia", "OFAC-123")]
    [InlineData("belarus", "Belavia", null)]
    [InlineData("kgb", "KGP Alpha", null)]
    [InlineData("Belneftekhim", "Belaruskali", null)]
    [InlineData("Щ", "Belarusian individuals", null)]
    [InlineData("shchsh", "Passenger air transportation", null)]
    public void similar_spellings_still_need_every_word_and_an_id_number_as_typed(string screened, string target, string? id) =>
        Assert.False(WordScreen.Of(screened, similar: true)!.Matches(target, id));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("-- , .")]
    [InlineData("“”")]
    public void a_text_with_no_letter_or_digit_screens_nothing(string screened) => Assert.Null(WordScreen.Of(screened));

    [Fact]
    public void any_target_is_found_by_itself_and_by_any_of_its_words()
    {
        Gen.String.Where(t => WordScreen.Of(t) is not null).Sample(target =>
        {
            Assert.True(WordScreen.Of(target)!.Matches(target, null));
            Assert.True(WordScreen.Of(target, similar: true)!.Matches(target, null));
            foreach (var word in WordScreen.Fold(target).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.True(WordScreen.Of(word)!.Matches(target, null), word);
                Assert.True(WordScreen.Of(word, similar: true)!.Matches(target, null), word);
            }
        });
    }

    [Theory]
    [InlineData("lukashenko", false, "Aliaksandr Łukašenka", null, "lukashenko ~ Łukašenka (a letter apart)")]
    [InlineData("Lukashenko, Alexander", false, "Alexander Lukashenko", null, "lukashenko: Lukashenko | alexander: Alexander")]
    [InlineData("lukashenko", false, "Аляксандр Лукашэнка", null, "lukashenko ~ Лукашэнка (a letter apart)")]
    [InlineData("Лукашенко", false, "Alexander Lukashenko", null, "lukashenko: Lukashenko")]
    [InlineData("grodno azot", false, "JSC “Hrodna Azot”", null, "grodno ~ Hrodna (a letter apart) | azot: Azot")]
    [InlineData("Aleksandr", false, "Aliaksandr Łukašenka", null, "aleksandr ~ Aliaksandr (other spelling)")]
    [InlineData("belav 123", true, "Belavia", "OFAC-123", "belav: Belavia | 123: 123")]
    [InlineData("ofac 123", true, "Belavia", "OFAC-123", "ofac: OFAC | 123: 123")]
    public void a_match_says_which_word_of_the_text_each_word_found_and_how(string screened, bool asTyped, string target, string? id, string why)
    {
        var screen = WordScreen.Of(screened, similar: !asTyped)!;
        Assert.Equal(why, string.Join(" | ", screen.Explain(target, id)!));
        Assert.Null(screen.Explain("Belneftekhim", null));
    }

    [Fact]
    public void a_text_is_explained_exactly_when_it_matches()
    {
        // names made of a few syllables, so that words meet often, in both scripts
        var syllables = new[] { "lu", "ka", "sh", "en", "ko", "ła", "šé", "ia", "ya", "gr", "od", "no", "ха", "лу", "ка", "-", " ", "1", "2" };
        var text = Gen.Int[0, syllables.Length - 1].Array[1, 12].Select(i => string.Concat(i.Select(j => syllables[j])));
        // a target that is the screened text with a letter or two changed is near it more often than not
        var edits = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, syllables.Length - 1]).Array[0, 2];
        Gen.Select(text, edits, text, Gen.Bool).Sample((screened, changes, id, similar) =>
        {
            var target = changes.Aggregate(screened, (t, change) => t.Length == 0 ? t : t.Remove(change.Item1 % t.Length, 1).Insert(change.Item1 % t.Length, syllables[change.Item2]));
            if (WordScreen.Of(screened, similar) is not { } screen) return;
            var found = screen.Explain(target, id);
            Assert.Equal(screen.Matches(target, id), found is not null);
            foreach (var word in found ?? [])
                Assert.Contains(word.Found, word.Text == 0 ? target : id);
        });
    }
}
