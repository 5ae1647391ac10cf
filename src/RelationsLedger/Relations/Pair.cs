using System.Collections.Concurrent;

namespace RelationsLedger.Relations;

/// <summary>Two countries whose relations form one event stream; named in alphabetical order ("BY-US").</summary>
public sealed record Pair(string First, string Second)
{
    // get-only, so no `with` can leave Id behind
    public string First { get; } = First;
    public string Second { get; } = Second;

    /// <summary>Made once: every event of an import or a batch is grouped and written by it.</summary>
    public string Id { get; } = $"{First}-{Second}";

    public bool Includes(string country) => country == First || country == Second;

    public override string ToString() => Id;

    /// <summary>One instance per pair, so an import's million lines hold a few hundred pairs, not a million copies;
    /// at most every two of the ≈ 250 codes.</summary>
    private static readonly ConcurrentDictionary<(string, string), Pair> Known = new();

    public static bool TryParse(string? text, out Pair pair)
    {
        pair = null!;
        var parts = (text ?? "").Split('-');
        if (parts.Length != 2) return false;
        var (a, b) = (Countries.Normalize(parts[0]), Countries.Normalize(parts[1]));
        if (a is null || b is null || a == b || parts[0].Length != 2 || parts[1].Length != 2) return false;
        pair = Known.GetOrAdd(string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a), static key => new Pair(key.Item1, key.Item2));
        return true;
    }
}
