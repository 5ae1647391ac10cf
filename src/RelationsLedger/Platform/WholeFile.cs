namespace RelationsLedger.Platform;

/// <summary>A file written whole or not at all: into a hidden file beside it, flushed to the disk, then renamed over
/// it. An export cut short — a lost connection, a full disk, Ctrl+C, a crash — leaves an earlier file as it was,
/// instead of a shorter one that reads as a whole export (a restore from it brought back part of the ledger without a
/// word when it was cut between two lines). Special files (<c>/dev/stdout</c>, <c>/dev/null</c>,
/// <c>/proc/self/fd/N</c>) are written as they are: nothing can be renamed over them.</summary>
public static class WholeFile
{
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken ct = default)
    {
        var full = Path.GetFullPath(path);
        if (IsSpecial(full))
        {
            await using var direct = new FileStream(full, FileMode.Create, FileAccess.Write);
            await write(direct);
            return;
        }
        var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.partial-{Environment.ProcessId}");
        // Ctrl+C or SIGTERM while it is written: the process ends at once, without the hidden file
        StopSignals.Install();
        using var _ = StopSignals.OnExit(() => File.Delete(partial));
        try
        {
            await using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await write(stream);
                await stream.FlushAsync(ct);
                stream.Flush(flushToDisk: true);
            }
            File.Move(partial, full, overwrite: true);
        }
        finally { File.Delete(partial); }
    }

    private static bool IsSpecial(string full)
    {
        string? target = null;
        try { target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName; }
        catch (IOException) { }
        return new[] { full, target }.Any(p => p is not null && (p.StartsWith("/dev/", StringComparison.Ordinal) || p.StartsWith("/proc/", StringComparison.Ordinal)));
    }
}
