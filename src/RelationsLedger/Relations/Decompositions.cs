namespace RelationsLedger.Relations;

/// <summary>Unicode's canonical decompositions without their combining marks, from a table rather than ICU: the app
/// runs in globalization-invariant mode, where <c>string.Normalize</c> decomposes nothing, so "sanções" would not fold
/// to "sancoes". The table (<c>Decompositions.g.cs</c>) is written by <c>build/decompositions.cs</c> from ICU.</summary>
internal static partial class Decompositions
{
    private const char HangulFirst = '\uAC00', HangulLast = '\uD7A3';

    /// <summary>Appends <paramref name="c"/> decomposed: its base character, or a Hangul syllable's jamo (decomposed by
    /// Unicode's rule, §3.12); any other character as it is.</summary>
    public static void Append(char c, Span<char> into, out int written)
    {
        if (c is >= HangulFirst and <= HangulLast)
        {
            var index = c - HangulFirst;
            into[0] = (char)(0x1100 + index / 588);
            into[1] = (char)(0x1161 + index % 588 / 28);
            written = index % 28 == 0 ? 2 : 3;
            if (written == 3) into[2] = (char)(0x11A7 + index % 28);
            return;
        }
        var at = c < Keys[0] ? -1 : Keys.AsSpan().BinarySearch(c);
        into[0] = at >= 0 ? Bases[at] : c;
        written = 1;
    }
}
