using System.Globalization;

namespace RelationsLedger.Benchmarks;

/// <summary>One measured figure beside its baseline from the same run.</summary>
public sealed record Figure(string Name, double Project, double? Baseline, string Unit, string Target, bool? Met, string? Note = null, bool LowerIsBetter = false)
{
    public string Ratio => Baseline is not { } b || b <= 0 || Project <= 0 ? "—"
        : LowerIsBetter ? (b / Project).ToString("0.0", CultureInfo.InvariantCulture) + "× faster"
        : (Project / b).ToString("0.00", CultureInfo.InvariantCulture) + "×";
}

public static class Report
{
    public static void Print(IReadOnlyList<Figure> figures, string machine)
    {
        Console.WriteLine();
        Console.WriteLine($"RelationsLedger benchmarks — {machine}");
        Console.WriteLine();
        Console.WriteLine("| figure | this project | baseline | ratio | target | met |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var f in figures)
            Console.WriteLine($"| {f.Name} | {Format(f.Project)} {f.Unit} | {(f.Baseline is { } b ? $"{Format(b)} {f.Unit}" : "—")} | {f.Ratio} | {f.Target} | {(f.Met is null ? "—" : f.Met.Value ? "yes" : "**no**")} |");
        foreach (var f in figures.Where(f => f.Note is not null)) Console.WriteLine($"- {f.Name}: {f.Note}");
    }

    private static string Format(double value) => value switch
    {
        >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
