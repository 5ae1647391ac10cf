using RelationsLedger.Relations;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Recording;

namespace RelationsLedger.Tests.Unit;

public sealed class ImportRunsTests
{
    private static ParsedLine Line(string pair, int number)
    {
        Assert.True(Pair.TryParse(pair, out var p));
        var e = new EmbassyReopened("US", "Minsk") { Id = Guid.NewGuid(), OccurredOn = Occurrence.Parse("2025-09-11"), Summary = $"line {number}", Sources = [] };
        return new ParsedLine(p, new Submission(e, null, true), number);
    }

    [Fact]
    public void the_longest_pair_starts_first_and_each_pair_keeps_file_order_in_runs_of_a_chunk()
    {
        // a short pair first in the file, a long one last: started in file order, the long one would run alone at the end
        var lines = Enumerable.Range(1, 3).Select(n => Line("BY-US", n))
            .Concat(Enumerable.Range(4, 2 * Importer.Chunk + 5).Select(n => Line(n % 7 == 0 ? "LT-PL" : "KR-NO", n)))
            .ToList();

        var runs = Importer.Runs(lines.GroupBy(l => l.Pair.Id).Select(pair => pair.ToList())).ToList();

        Assert.Equal(["KR-NO", "LT-PL", "BY-US"], runs.Select(r => r[0][0].Pair.Id));
        foreach (var pair in runs)
        {
            Assert.All(pair.SkipLast(1), run => Assert.Equal(Importer.Chunk, run.Count));
            var numbers = pair.SelectMany(run => run.Select(l => l.Line)).ToList();
            Assert.Equal(numbers.Order(), numbers);
            Assert.Single(pair.SelectMany(run => run).Select(l => l.Pair.Id).Distinct());
        }
        Assert.Equal(lines.Count, runs.Sum(pair => pair.Sum(run => run.Count)));
    }
}
