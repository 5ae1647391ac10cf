using System.Text;
using RelationsLedger.Platform;

namespace RelationsLedger.Tests.Unit;

/// <summary>An export's file is put in place whole or not at all (<see cref="WholeFile"/>).</summary>
public sealed class WholeFileTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("relationsledger-wholefile-");
    private string File(string name) => Path.Combine(_folder.FullName, name);

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task a_write_cut_short_leaves_the_earlier_file_as_it_was_and_nothing_beside_it()
    {
        var path = File("ledger.ndjson");
        await System.IO.File.WriteAllTextAsync(path, "earlier export\n", Ct);

        var cut = await Assert.ThrowsAsync<IOException>(() => WholeFile.WriteAsync(path, async stream =>
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("line 1\nline 2\n"));
            await stream.FlushAsync();
            throw new IOException("the connection was lost");
        }, Ct));

        Assert.Equal("the connection was lost", cut.Message);
        Assert.Equal("earlier export\n", await System.IO.File.ReadAllTextAsync(path, Ct));
        Assert.Equal([path], _folder.GetFiles().Select(f => f.FullName));
    }

    [Fact]
    public async Task a_whole_write_replaces_the_file_or_makes_it_and_leaves_nothing_beside_it()
    {
        foreach (var earlier in new[] { "a longer earlier export\n", null })
        {
            var path = File(earlier is null ? "new.ndjson" : "ledger.ndjson");
            if (earlier is not null) await System.IO.File.WriteAllTextAsync(path, earlier, Ct);

            await WholeFile.WriteAsync(path, stream => stream.WriteAsync(Encoding.UTF8.GetBytes("line 1\n")).AsTask(), Ct);

            Assert.Equal("line 1\n", await System.IO.File.ReadAllTextAsync(path, Ct));
        }
        Assert.Equal(["ledger.ndjson", "new.ndjson"], _folder.GetFiles().Select(f => f.Name).Order());
    }

    [Fact]
    public async Task a_relative_path_is_written_where_it_points_and_a_special_file_as_it_is()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, File("relative.ndjson"));
        await WholeFile.WriteAsync(relative, stream => stream.WriteAsync(Encoding.UTF8.GetBytes("x\n")).AsTask(), Ct);
        Assert.Equal("x\n", await System.IO.File.ReadAllTextAsync(File("relative.ndjson"), Ct));

        // nothing can be renamed over /dev/null: it is written to, and stays what it is
        await WholeFile.WriteAsync("/dev/null", stream => stream.WriteAsync(Encoding.UTF8.GetBytes("x\n")).AsTask(), Ct);
        Assert.Equal(0, new FileInfo("/dev/null").Length);
        Assert.Empty(Directory.GetFiles("/dev", ".null.partial-*"));
    }
}
