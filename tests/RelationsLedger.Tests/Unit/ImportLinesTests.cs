using System.Text;
using CsCheck;
using RelationsLedger.Relations.Importing;

namespace RelationsLedger.Tests.Unit;

/// <summary>A file's lines read as bytes (the import verb's and the seeds' reader) are those the text reader gives for
/// the same file: same numbers, same text, blank lines skipped alike.</summary>
public sealed class ImportLinesTests
{
    private static readonly Gen<string> Piece = Gen.OneOf(
        "{\"a\":1}", "x", " ", "\t", "\u00A0", "é", "€", "😀", "\u2028", "\u3000", "\"", "\\", "[", "\f", "\v");

    private static readonly Gen<string> Break = Gen.OneOf("\n", "\r\n", "\r");

    private static readonly Gen<string> File = Gen.Select(Gen.Select(Piece.Array[0, 6], Break).Array[0, 12], Gen.Bool, Gen.Bool)
        .Select((lines, bom, lastBreak) =>
        {
            var text = string.Concat(lines.Select(l => string.Concat(l.Item1) + l.Item2));
            if (!lastBreak && lines.Length > 0) text = text[..^lines[^1].Item2.Length];
            return (bom ? "\uFEFF" : "") + text;
        })
        // a file starting as a JSON array is one document, read as text by both
        .Where(text => !text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n').StartsWith('['));

    private static List<(int, string, string?)> AsBytes(string path) =>
        [.. Importer.ReadLines(path).Select(l => (l.Number, Encoding.UTF8.GetString(l.Utf8.Span), l.Problem))];

    /// <summary>The text reader drops the white space before the first line's text (it looks past it for a JSON
    /// array): the parser skips it either way.</summary>
    private static List<(int, string, string?)> AsText(string path)
    {
        using var reader = Importer.Open(path);
        return [.. Importer.ReadLines(reader).Select(l => (l.Number, Encoding.UTF8.GetString(l.Utf8.Span), l.Problem))];
    }

    private static List<(int, string, string?)> Trimmed(List<(int Number, string Text, string? Problem)> lines) =>
        [.. lines.Select(l => (l.Number, l.Text.TrimStart(' ', '\t'), l.Problem))];

    private static void WithFile(byte[] bytes, Action<string> test)
    {
        var path = Path.Combine(Path.GetTempPath(), $"import-lines-{Guid.NewGuid():N}.ndjson");
        try
        {
            System.IO.File.WriteAllBytes(path, bytes);
            test(path);
        }
        finally { System.IO.File.Delete(path); }
    }

    [Fact]
    public void any_utf8_file_gives_the_lines_the_text_reader_gives()
    {
        File.Sample(text => WithFile(Encoding.UTF8.GetBytes(text), path => Assert.Equal(Trimmed(AsText(path)), Trimmed(AsBytes(path)))), iter: 500);
    }

    [Fact]
    public void lines_are_numbered_as_the_file_has_them_blank_lines_before_the_first_too()
    {
        WithFile(Encoding.UTF8.GetBytes("\n\r\n \r{\"a\":1}\n\u00A0\n{\"b\":2}"), path =>
        {
            Assert.Equal([(4, "{\"a\":1}", null), (6, "{\"b\":2}", null)], AsBytes(path));
            Assert.Equal([4, 6], AsText(path).Select(l => l.Item1));
        });
    }

    [Fact]
    public void a_line_longer_than_the_buffer_and_lines_across_its_edge_are_read_whole()
    {
        var lines = new[] { new string('a', 3 << 20), "b", new string('c', (1 << 20) - 1), "d" };
        WithFile(Encoding.UTF8.GetBytes(string.Join("\r\n", lines)), path =>
        {
            Assert.Equal(AsText(path), AsBytes(path));
            Assert.Equal(lines, AsBytes(path).Select(l => l.Item2));
        });
        // a \r at the buffer's end, its \n in the next read: one line break, not two
        WithFile(Encoding.UTF8.GetBytes(new string('e', (1 << 20) - 1) + "\r\nf"), path =>
            Assert.Equal([(1, new string('e', (1 << 20) - 1), null), (2, "f", null)], AsBytes(path)));
    }

    [Fact]
    public void bytes_that_are_not_utf8_are_named_at_their_own_line_and_nothing_after_is_read()
    {
        byte[] bytes = [.. "{\"a\":1}\n\n{\"b\":2}\n"u8, .. "{\"c\":\"caf"u8, 0xE9, .. "\"}\n{\"d\":4}\n"u8];
        WithFile(bytes, path => Assert.Equal(
            [(1, "{\"a\":1}", null), (3, "{\"b\":2}", null), (4, "", ImportLine.NotUtf8)], AsBytes(path)));
    }

    [Fact]
    public void a_json_array_and_a_utf16_file_are_read_as_text()
    {
        WithFile(Encoding.UTF8.GetBytes(" \n[{\"a\":1},\n{\"b\":\"é\"}]"), path =>
        {
            Assert.Equal(AsText(path), AsBytes(path));
            Assert.Equal(2, AsBytes(path).Count);
        });
        // the array's bracket past the first read: a megabyte of white space before it
        WithFile(Encoding.UTF8.GetBytes(new string(' ', 1 << 20) + "\n[{\"a\":1},{\"b\":2}]"), path =>
            Assert.Equal([(1, "{\"a\":1}", null), (2, "{\"b\":2}", null)], AsBytes(path)));
        WithFile([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("{\"a\":\"é\"}\r\n{\"b\":2}")], path =>
            Assert.Equal([(1, "{\"a\":\"é\"}", null), (2, "{\"b\":2}", null)], AsBytes(path)));
    }
}
