using System.Text.Json;
using System.Text.Json.Serialization;
using CsCheck;
using RelationsLedger.Relations;

namespace RelationsLedger.Tests.Unit;

[JsonSerializable(typeof(Dictionary<string, string[]>))]
internal sealed partial class ProblemKeysContext : JsonSerializerContext;

public sealed class SharedStringsTests
{
    [Fact]
    public void the_same_short_value_read_twice_is_one_string_and_the_events_of_a_pair_share_theirs()
    {
        // the table is the process's, shared with every test running meanwhile: a string of theirs landing in the same
        // slot between the two reads replaces the first, so the pair is read again until two reads meet (never, if
        // nothing is shared)
        bool Shared()
        {
            var first = JsonSerializer.Deserialize<SanctionsImposed>("""{"imposedBy":"US","authority":"Treasury OFAC","target":"Belavia","targetKind":"entity","measures":["SDN listing"]}""", LedgerJson.Options)!;
            var second = JsonSerializer.Deserialize<SanctionsLifted>("""{"liftedBy":"US","target":"Belavia"}""", LedgerJson.Options)!;
            return ReferenceEquals(first.Target, second.Target) && ReferenceEquals(first.ImposedBy, second.LiftedBy);
        }
        Assert.Contains(true, Enumerable.Range(0, 50).Select(_ => Shared()));
    }

    [Fact]
    public void any_string_reads_back_equal_escaped_long_or_not_and_as_a_dictionary_key()
    {
        Gen.String.Array[0, 8].Sample(values =>
        {
            var json = JsonSerializer.Serialize(values, LedgerJson.Options);
            Assert.Equal(values, JsonSerializer.Deserialize<string[]>(json, LedgerJson.Options));
            // twice: the second read may come from the table
            Assert.Equal(values, JsonSerializer.Deserialize<string[]>(json, LedgerJson.Options));
            var keyed = values.Distinct().ToDictionary(v => v, v => v.Length);
            Assert.Equal(keyed, JsonSerializer.Deserialize<Dictionary<string, int>>(JsonSerializer.Serialize(keyed, LedgerJson.Options), LedgerJson.Options));
        }, iter: 2000);
    }

    [Fact]
    public void dictionary_keys_are_written_and_read_when_the_options_resolve_through_a_source_generated_context()
    {
        // as ASP.NET Core writes a problem's errors: System.Text.Json's own fallback for keys is off there (this was a 500)
        var options = LedgerJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = ProblemKeysContext.Default });
        var errors = new Dictionary<string, string[]> { ["expectedVersion"] = ["Must be a whole number ≥ 0."], ["data.name"] = ["Required."] };
        var json = JsonSerializer.Serialize(errors, options);
        Assert.Equal("""{"expectedVersion":["Must be a whole number \u2265 0."],"data.name":["Required."]}""", json);
        Assert.Equal(errors, JsonSerializer.Deserialize<Dictionary<string, string[]>>(json, options));
    }
}
