namespace RelationsLedger.CommandLine;

/// <summary>Standard output, kept for the data of a verb that writes it there (<c>export</c> without <c>--out</c>,
/// <c>sanctions --csv</c>):
/// everything else the process prints — host logs, the command line's own lines — goes to standard error, so that
/// <c>export --pair US-BY &gt; file</c> is a file <c>import</c> reads back.</summary>
public static class DataOutput
{
    public static Stream? Reserved { get; private set; }

    public static void ReserveFor(string[] args)
    {
        var data = args switch
        {
            ["export", ..] => !args.Any(a => a is "--out" or "-o"),
            ["sanctions", ..] => args.Contains("--csv"),
            _ => false,
        };
        if (data)
        {
            Reserved = Console.OpenStandardOutput();
            Console.SetOut(Console.Error);
        }
        // tables as wide as the shell says: without a terminal (output piped or captured) the console library assumes
        // 80 columns and wraps every cell. After the reservation: the console library writes where Console.Out pointed
        // when it was first used
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns is > 0 and <= 1000)
            Spectre.Console.AnsiConsole.Profile.Width = columns;
    }
}
