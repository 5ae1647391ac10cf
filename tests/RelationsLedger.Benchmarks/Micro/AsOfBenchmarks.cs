using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Benchmarks.Micro;

/// <summary>The as-of read in memory: a checkpointed history answers from the nearest month-start state; the baseline
/// folds the pair's whole resolved history up to the date, as a read without checkpoints must.</summary>
[MemoryDiagnoser]
public class AsOfBenchmarks
{
    private IReadOnlyList<ResolvedEvent> _ordered = [];
    private CheckpointedHistory _history = null!;
    private DateOnly[] _dates = [];
    private int _next;

    [Params(1_000, 100_000)] public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var recorded = MicroData.History("KR-NO", Events);
        _ordered = Provenance.Resolve(recorded);
        _history = CheckpointedHistory.Build(recorded);
        var random = new Random(7);
        _dates = Enumerable.Range(0, 1024).Select(_ => new DateOnly(1995, 1, 1).AddDays(random.Next(11_000))).ToArray();
    }

    [Benchmark(Baseline = true, Description = "full fold to the date")]
    public RelationshipState FullFold() => RelationshipState.Fold(_ordered, _dates[_next++ & 1023]);

    [Benchmark(Description = "checkpointed StateAt")]
    public RelationshipState Checkpointed() => _history.StateAt(_dates[_next++ & 1023]);
}

/// <summary>A pair's checkpointed history after one more fact at a random (mostly backdated) date, as the summary
/// projection and the newest-knowledge reads extend it after each append: the fact merged into the resolved history
/// and the checkpoints re-folded from its date; the baseline resolves the whole history again, as extending did before
/// (without even re-folding).</summary>
[MemoryDiagnoser]
public class ExtendBenchmarks
{
    private List<RecordedEvent> _all = [];
    private CheckpointedHistory _history = null!;
    private RecordedEvent[] _fresh = [];
    private int _next;

    [Params(1_000, 100_000)] public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var recorded = MicroData.History("KR-NO", Events + 2_048);
        _history = CheckpointedHistory.Build(recorded.Take(Events));
        _fresh = recorded.Skip(Events).Where(e => e.Event is DomainEvent).Take(1_024).ToArray();
        _all = [.. recorded.Take(Events), _fresh[0]];
    }

    [Benchmark(Baseline = true, Description = "resolve the whole history again")]
    public IReadOnlyList<ResolvedEvent> ResolveAgain() => Provenance.Resolve(_all);

    [Benchmark(Description = "CheckpointedHistory.Extend by one fact")]
    public CheckpointedHistory Extend() => _history.Extend([_fresh[_next++ & 1023]]);
}

/// <summary>Reading one submitted event against the catalog (every field checked, normalized, typed); the baseline is
/// System.Text.Json deserializing the same body into the same record with no checks.</summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private JsonElement _body;
    private string _data = "";
    private Type _type = null!;

    [GlobalSetup]
    public void Setup()
    {
        var e = SyntheticHistory.Events(5, ["BY-US"], 50).First(x => (string)x["type"]! == "SanctionsImposed");
        e.Remove("pair");
        _body = JsonSerializer.SerializeToElement(e);
        var typed = SubmissionReader.Read(_body, new DateOnly(2026, 1, 1), new Problems())!.Event;
        _type = typed.GetType();
        _data = JsonSerializer.Serialize(typed, _type, LedgerJson.Options);
    }

    [Benchmark(Baseline = true, Description = "JsonSerializer.Deserialize, no checks")]
    public object? Deserialize() => JsonSerializer.Deserialize(_data, _type, LedgerJson.Options);

    [Benchmark(Description = "SubmissionReader.Read")]
    public Submission? Validate() => SubmissionReader.Read(_body, new DateOnly(2026, 1, 1), new Problems());
}

public static class MicroData
{
    /// <summary>A pair's synthetic history as the store would hand it back: validated events with sequences.</summary>
    public static List<RecordedEvent> History(string pair, int count)
    {
        var problems = new Problems();
        var sequence = 0L;
        var recorded = new List<RecordedEvent>();
        foreach (var line in SyntheticHistory.Events(3, [pair], count))
        {
            line.Remove("pair");
            var submission = SubmissionReader.Read(JsonSerializer.SerializeToElement(line), new DateOnly(2026, 1, 1), problems);
            if (submission is null) throw new InvalidOperationException(string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(" ", p.Value)}")));
            sequence++;
            recorded.Add(new RecordedEvent(submission.Event, sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence), sequence));
        }
        return recorded;
    }
}
