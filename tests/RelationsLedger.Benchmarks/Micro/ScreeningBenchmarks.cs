using BenchmarkDotNet.Attributes;
using RelationsLedger.Relations;

namespace RelationsLedger.Benchmarks.Micro;

/// <summary>Screening a name against a register's targets (1,024 names and ids, some in Cyrillic or with accents): with
/// similar spellings (transliterations, a letter or two apart) against the baseline of the words as typed.</summary>
[MemoryDiagnoser]
public class ScreeningBenchmarks
{
    private static readonly string[] Given = ["Aliaksandr", "Uladzimir", "Natallia", "Sviatlana", "Viktar", "Alexander", "Юрый", "Łukasz", "Dzmitry", "Henadz"];
    private static readonly string[] Family = ["Lukashenka", "Makei", "Eismant", "Tsikhanouskaya", "Khrenin", "Кавалёў", "Volfovich", "Barsukou", "Karaeu", "Balaba", "Hrodna Azot", "Belavia Airlines"];

    private (string Target, string? Id)[] _targets = [];
    private WordScreen _words = null!, _similar = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _targets = [.. Enumerable.Range(0, 1024).Select(i =>
            ($"{Given[random.Next(Given.Length)]} {Family[random.Next(Family.Length)]}", random.Next(3) == 0 ? $"OFAC-{random.Next(100_000)}" : null))];
        (_words, _similar) = (WordScreen.Of("Lukashenko Alexander")!, WordScreen.Of("Lukashenko Alexander", similar: true)!);
    }

    [Benchmark(Baseline = true, Description = "words as typed")]
    public int Words() => _targets.Count(t => _words.Matches(t.Target, t.Id));

    [Benchmark(Description = "similar spellings")]
    public int Similar() => _targets.Count(t => _similar.Matches(t.Target, t.Id));
}
