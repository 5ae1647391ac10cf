namespace RelationsLedger.Relations;

/// <summary>Two countries whose relations form one event stream; named in alphabetical order ("BY-US").</summary>
public sealed record Pair(string First, string Second)
{
    public string Id => $"{First}-{Second}";

    public bool Includes(string country) => country == First || country == Second;

    public override string ToString() => Id;

    public static bool TryParse(string? text, out Pair pair)
    {
        pair = null!;
        var parts = (text ?? "").Split('-');
        if (parts.Length != 2) return false;
        var (a, b) = (Countries.Normalize(parts[0]), Countries.Normalize(parts[1]));
        if (a is null || b is null || a == b || parts[0].Length != 2 || parts[1].Length != 2) return false;
        pair = string.CompareOrdinal(a, b) < 0 ? new Pair(a, b) : new Pair(b, a);
        return true;
    }
}
