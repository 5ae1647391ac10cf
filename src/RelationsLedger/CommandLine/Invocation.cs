namespace RelationsLedger.CommandLine;

/// <summary>What the process was started for, as the command line reads its arguments: no verb, or a flag first, is
/// <c>run</c> (the web app); verbs and actions in any case.</summary>
public sealed record Invocation(string Verb, string? Action)
{
    public static Invocation Of(string[] args) => new(
        args is [var first, ..] && !first.StartsWith('-') ? first.ToLowerInvariant() : "run",
        args is [_, var second, ..] ? second.ToLowerInvariant() : null);

    public bool IsRun => Verb == "run";

    /// <summary>A verb Marten, Weasel, Wolverine or JasperFx brings that connects to the database, checked before it
    /// starts (<see cref="UnreachableDatabase"/>); the app's own verbs check in <see cref="CommandHost"/>, after their
    /// flags. A verb a new version adds is not checked until it is named here.</summary>
    public bool Connects => Listed(ConnectingVerbs) is { } offline && (Action is null || !offline.Contains(Action));

    /// <summary>A verb that never connects: with no connection string it starts no embedded PostgreSQL, so it works on
    /// a machine without one.</summary>
    public bool Offline => Listed(OfflineVerbs) is { } actions && (actions.Length == 0 || Action is not null && actions.Contains(Action));

    private string[]? Listed(Dictionary<string, string[]> verbs) => verbs.GetValueOrDefault(Verb);

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

    /// <summary>Each with the actions that make it offline (none listed: all of them).</summary>
    private static readonly Dictionary<string, string[]> OfflineVerbs = new()
    {
        ["help"] = [], ["?"] = [], ["describe"] = [], ["db-list"] = [], ["db-dump"] = [], ["codegen"] = [], ["openapi"] = [],
        ["describe-event-model"] = [], ["event-model"] = [], ["healthcheck"] = [],
        ["projections"] = ["list"], ["resources"] = ["list"], ["wolverine-diagnostics"] = ["describe-handlers", "fsharp-coverage"],
    };
}
