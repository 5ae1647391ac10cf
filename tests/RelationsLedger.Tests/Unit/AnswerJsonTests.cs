using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Tests.Unit;

/// <summary>Read answers written by build-time generated code must be byte for byte what the HTTP options write by
/// reflection: the generated code is a speed-up, not a second definition of the API.</summary>
public sealed class AnswerJsonTests
{
    [Fact]
    public void a_state_is_written_exactly_as_the_http_options_write_it()
    {
        var history = SeedHistory();
        var reflection = LedgerHttp.ConfigureJson(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.True(Pair.TryParse("BY-US", out var pair));
        foreach (var date in new[] { "2005-01-01", "2008-03-12", "2020-08-15", "2025-09-12", "2026-06-30" })
        {
            var asOf = DateOnly.Parse(date);
            var state = RelationshipState.Fold(history, asOf);
            var view = StateView.Of(pair, asOf, DateTimeOffset.Parse("2026-11-23T10:00:00Z"), ReadBasis.Of(history), state);
            var generated = new ArrayBufferWriter<byte>();
            LedgerResults.WriteJson(generated, view, reflection);
            Assert.Equal(JsonSerializer.Serialize(view, reflection), Encoding.UTF8.GetString(generated.WrittenSpan));
        }
        // the comparison covered every kind of row and nullable field, not only empty sections
        var latest = RelationshipState.Fold(history, DateOnly.Parse("2025-09-12"));
        Assert.NotEmpty(latest.Embassies);
        Assert.NotEmpty(latest.Ambassadors);
        Assert.Contains(latest.Sanctions.Values, s => s.EasedScope.Length > 0 && s.TargetId is null);
        Assert.NotEmpty(latest.PrisonersReleased.ByNationality);
        Assert.NotNull(latest.LastContact);
    }

    /// <summary>The project's seed file as the store would hand it back: validated events with sequences.</summary>
    private static List<RecordedEvent> SeedHistory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "seeds", "us-by.ndjson"))) directory = directory.Parent!;
        var recorded = new List<RecordedEvent>();
        foreach (var line in File.ReadLines(Path.Combine(directory.FullName, "seeds", "us-by.ndjson")))
        {
            var node = JsonNode.Parse(line)!.AsObject();
            node.Remove("pair");
            var problems = new Problems();
            var submission = SubmissionReader.Read(JsonSerializer.SerializeToElement(node), new DateOnly(2026, 11, 23), problems)
                             ?? throw new InvalidOperationException(string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(" ", p.Value)}")));
            recorded.Add(new RecordedEvent(submission.Event, recorded.Count + 1, DateTimeOffset.UnixEpoch.AddSeconds(recorded.Count + 1), recorded.Count + 1));
        }
        return recorded;
    }
}
