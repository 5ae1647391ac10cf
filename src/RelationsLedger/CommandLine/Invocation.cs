namespace RelationsLedger.CommandLine;

/// <summary>What the process was started for, as the command line reads its arguments: no verb, or a flag first, is
/// <c>run</c> (the web app); verbs and actions in any case.</summary>
public sealed record Invocation(string Verb, string? Action)
{
    public static Invocation Of(string[] args) => new(
        WithVerb(args)[0].ToLowerInvariant(),
        args is [_, var second, ..] ? second.ToLowerInvariant() : null);

    /// <summary><paramref name="args"/> as the command line reads them: <c>run</c> first when no verb is.</summary>
    public static string[] WithVerb(string[] args) => args is [var first, ..] && !first.StartsWith('-') ? args : ["run", .. args];

    public bool IsRun => Verb == "run";

    public bool IsHelp => Verb is "help" or "?";

    /// <summary><c>replay --help</c> (or <c>-h</c>, <c>-?</c>) as <c>help replay</c>: the command line reads a verb's
    /// flags as its input and would refuse the flag.</summary>
    public static string[] HelpAsked(string[] args) =>
        args is [var verb, .. var rest] && !verb.StartsWith('-') && !Of(args).IsHelp && rest.Any(a => a is "--help" or "-h" or "-?")
            ? ["help", verb]
            : args;

    /// <summary>The exit code of <paramref name="exit"/> for this invocation: the command line's help for a verb exits 1
    /// after printing it, which a script reads as a failure; help for a verb is 0 (for an unknown one <see cref="BadUsage"/>
    /// has answered 1 already).</summary>
    public int ExitCode(int exit) => IsHelp && Action is not null ? 0 : exit;

    /// <summary>One of the app's own verbs that connect: they read their flags first and reach the database in
    /// <see cref="CommandHost"/> only then, so a mistyped flag starts no embedded cluster and needs no server binaries.</summary>
    public bool ConnectsAfterItsFlags => LedgerVerbs.Contains(Verb);

    /// <summary>A verb Marten, Weasel, Wolverine or JasperFx brings that connects to the database, checked before it
    /// starts (<see cref="UnreachableDatabase"/>); the app's own verbs check in <see cref="CommandHost"/>, after their
    /// flags. A verb a new version adds is not checked until it is named here.</summary>
    public bool Connects => OfflineActions is { } offline && (Action is null || !offline.Contains(Action));

    /// <summary>A verb that never connects: with no connection string it starts no embedded PostgreSQL, so it works on
    /// a machine without one. One of <see cref="OfflineVerbs"/>, or an action of a connecting verb listed as not connecting.</summary>
    public bool Offline => OfflineVerbs.Contains(Verb) || OfflineActions is { } offline && Action is not null && offline.Contains(Action);

    /// <summary>The actions of this verb that do not connect, when it is a connecting verb.</summary>
    private string[]? OfflineActions => ConnectingVerbs.GetValueOrDefault(Verb);

    /// <summary>Each with those of its actions that do not connect.</summary>
    private static readonly Dictionary<string, string[]> ConnectingVerbs = new()
    {
        ["run"] = [],
        ["db-apply"] = [], ["db-assert"] = [], ["db-patch"] = [],
        ["check-env"] = [], ["resources"] = ["list"], ["capabilities"] = [],
        ["projections"] = ["list"], ["projection-run"] = [], ["event-query"] = [], ["stream-query"] = [], ["marten"] = [],
        ["storage"] = [], ["clear-handled"] = [],
        ["wolverine-diagnostics"] = ["describe-handlers", "fsharp-coverage"],
    };

    public static readonly IReadOnlySet<string> LedgerVerbs = new HashSet<string> { "replay", "sanctions", "import", "export", "seed", "rebuild" };

    /// <summary>The verbs that never connect, whatever their action.</summary>
    private static readonly HashSet<string> OfflineVerbs =
        ["help", "?", "describe", "db-list", "db-dump", "codegen", "openapi", "describe-event-model", "event-model", "healthcheck"];
}
