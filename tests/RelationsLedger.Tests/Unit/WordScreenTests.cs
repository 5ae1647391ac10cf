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
    public void every_word_of_the_name_is_found_in_the_target_or_its_id_in_any_order_case_accent_and_punctuation(string screened, string target, string? id) =>
        Assert.True(WordScreen.Of(screened)!.Matches(target, id));

    [Theory]
    [InlineData("lukashenko", "Aliaksandr Lukashenka", null)]
    [InlineData("belavia azot", "Belavia", null)]
    [InlineData("ofac-124", "Belavia", "OFAC-123")]
    [InlineData("Лукашенко", "Lukashenko", null)]
    public void a_word_missing_from_both_is_not_a_match(string screened, string target, string? id) =>
        Assert.False(WordScreen.Of(screened)!.Matches(target, id));

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
            foreach (var word in WordScreen.Fold(target).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.True(WordScreen.Of(word)!.Matches(target, null), word);
        });
    }
}
