using Microsoft.Extensions.Logging.Console;
using Spectre.Console;

namespace RelationsLedger.CommandLine;

/// <summary>Standard output of a verb holds what the verb prints and nothing else: the host's logs go to standard
/// error for every verb but <c>run</c> (the web app, whose logs a container collects from standard output), and the
/// command line's own discovery lines are not printed. A verb whose output is data (<c>export</c> without
/// <c>--out</c>, <c>sanctions --csv</c>, <c>replay --json</c>) gets standard output to itself, so that <c>export --pair US-BY &gt; file</c>
/// is a file <c>import</c> reads back.</summary>
public static class DataOutput
{
    private static Stream? _reserved;

    /// <summary>Where a verb writes its data: standard output, kept for it when <see cref="ReserveFor"/> saw it coming.</summary>
    public static Stream Data => _reserved ?? Console.OpenStandardOutput();

    /// <param name="args">the flags, read as the verb's own flags are</param>
    public static void ReserveFor(Invocation invocation, string[] args)
    {
        var data = invocation.Verb switch
        {
            "export" => !args.Any(a => a is "--out" or "-o"),
            "sanctions" => args.Contains("--csv"),
            "replay" => args.Contains("--json"),
            _ => false,
        };
        if (data)
        {
            _reserved = Console.OpenStandardOutput();
            Console.SetOut(Console.Error);
        }
        // not the web app's: in a test host (WebApplicationFactory runs this in the tests' own process) the console is
        // the test framework's, shared by every test, and stays as it is (two test runs hung while a writer of ours was
        // wrapped around it)
        else if (!invocation.IsRun) Console.SetOut(new FromFirstText(Console.Out));
        // JasperFx prints "Searching '<assembly>' for commands" for each assembly until a static latch flips, and only
        // applying its extensions flips it; the app registers none, so an empty application flips it and does nothing
        new JasperFx.CommandLine.CommandFactory().ApplyExtensions(new ServiceCollection());
        // tables as wide as the shell says: without a terminal (output piped or captured) the console library assumes
        // 80 columns and wraps every cell. After the reservation: the console library writes where Console.Out pointed
        // when it was first used
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns is > 0 and <= 1000)
            Spectre.Console.AnsiConsole.Profile.Width = columns;
    }

    /// <summary>Where a verb says what went wrong (a bad flag, a missing file, a refusal): standard error, whether or not
    /// its output is data, so that a script's captured output never holds a complaint.</summary>
    public static IAnsiConsole Errors => _errors ??= ErrorConsole();

    private static IAnsiConsole ErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // as wide as standard output's (the shell's COLUMNS), not 80 columns when captured
        console.Profile.Width = AnsiConsole.Profile.Width;
        return console;
    }

    private static IAnsiConsole? _errors;

    /// <summary>The web app's console from its first text on: the command line's empty line after finding its verbs
    /// would otherwise sit among the logs. Only its own console library's writes, after the host is built (a test host
    /// never gets here), so the logs and the test framework's console are left as they are.</summary>
    public static void BeforeCommands(Invocation invocation)
    {
        if (!invocation.IsRun) return;
        // the console as it was detected (colours, a terminal's width), only its output wrapped: the width is read off
        // the output unless set, and a wrapped writer is no terminal's, so it is set to the detected one first
        var profile = AnsiConsole.Profile;
        profile.Width = profile.Width;
        profile.Out = new AnsiConsoleOutput(new FromFirstText(Console.Out));
    }

    /// <summary>Standard output from its first text on: the command line writes an empty line once it has found its
    /// verbs, before any of them runs.</summary>
    private sealed class FromFirstText(TextWriter output) : TextWriter
    {
        private bool _started;

        public override System.Text.Encoding Encoding => output.Encoding;

        public override void Write(char value) => Write([value], 0, 1);

        public override void Write(char[] buffer, int index, int count)
        {
            var text = buffer.AsSpan(index, count);
            if (!_started) _started = !(text = text.TrimStart("\r\n")).IsEmpty;
            output.Write(text);
        }

        public override void Flush() => output.Flush();
    }

    /// <summary>The host's logs on standard error for a verb other than <c>run</c>.</summary>
    public static void LogFor(ILoggingBuilder logging, Invocation invocation)
    {
        if (!invocation.IsRun) logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
