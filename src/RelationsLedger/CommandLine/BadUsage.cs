using JasperFx.CommandLine;
using JasperFx.CommandLine.Commands;
using JasperFx.CommandLine.Help;
using Spectre.Console;

namespace RelationsLedger.CommandLine;

/// <summary>An unknown verb or flag, refused on standard error before the host is built: the command line itself says
/// "Invalid usage" with the usage on standard output, where a script reads data, and only once the database was checked.</summary>
public static class BadUsage
{
    /// <summary>With one of these, whatever the verb, the command line runs the web host on the arguments unread.</summary>
    private static readonly string[] HostFlags = ["--urls", "--http_ports", "--https_ports"];

    /// <summary>True, with the command line's own complaint and usage on standard error, when it would not run
    /// <paramref name="args"/>: it reads them here with the verbs it will have (its own, the app's, the extensions').</summary>
    public static async Task<bool> ReportedAsync(Invocation invocation, string[] args)
    {
        // no arguments: the web app as the image and `dotnet run` start it, with nothing to read and no verbs to find
        if (args.Length == 0 || args.Any(a => HostFlags.Contains(a, StringComparer.OrdinalIgnoreCase))) return false;
        var (output, console) = (Console.Out, AnsiConsole.Console);
        var commands = new CommandFactory();
        // finding the extensions' verbs ends with an empty line
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        commands.RegisterCommands(typeof(RunCommand).Assembly);
        commands.RegisterCommands(typeof(Program).Assembly);
        commands.RegisterCommandsFromExtensionAssemblies();
        // it says what it cannot read as it reads, then answers with its help
        Console.SetOut(Console.Error);
        AnsiConsole.Console = DataOutput.Errors;
        CommandRun run;
        try { run = commands.BuildRun(Invocation.WithVerb(args)); }
        catch (InvalidUsageException e)
        {
            // help's own arguments ("help a b") are read without the care a verb's get
            DataOutput.Errors.WriteLine($"Invalid usage: {e.Message}");
            return true;
        }
        if (run is { Command: HelpCommand, Input: HelpInput help } && (!invocation.IsHelp || help.InvalidCommandName))
        {
            await run.Execute();
            return true;
        }
        Console.SetOut(output);
        AnsiConsole.Console = console;
        return false;
    }
}
