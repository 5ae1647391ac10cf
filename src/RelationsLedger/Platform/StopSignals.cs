using System.Runtime.InteropServices;

namespace RelationsLedger.Platform;

/// <summary>The process's stop signals: SIGINT (Ctrl+C), SIGTERM (<c>docker stop</c>, a service manager), SIGQUIT.
/// .NET 10 leaves them to the operating system, which ends the process on the spot without raising ProcessExit, so
/// an embedded cluster the process started was left running (until the next start took it over). Once installed, a
/// signal goes to the handler attached — the web app's lifetime, while its host runs — and with none the process
/// ends at once as the signal would have ended it (exit code 128 + its number), having told the embedded cluster to
/// stop. The web app installs them first thing and holds the first signal that comes before its lifetime is attached,
/// handing it over then, so a stop while it starts is handled as one wherever in the start it lands.</summary>
public static class StopSignals
{
    private static readonly Lock Gate = new();
    private static readonly List<Action> BeforeExit = [];
    private static List<PosixSignalRegistration>? _registrations;
    private static Action<PosixSignal>? _handler;
    private static bool _hold;
    private static PosixSignal? _held;

    /// <summary>The web app run as its own process (not a test's host): a stop signal from here on waits for its
    /// lifetime. Without, one that came before the host was up ended the process at once — or, as a container's first
    /// process, which the kernel ends by no signal it does not handle, was lost: <c>docker stop</c> waited 10 s to kill
    /// it.</summary>
    public static void HoldForWebApp(CommandLine.Invocation invocation)
    {
        if (invocation.IsRun && System.Reflection.Assembly.GetEntryAssembly() == typeof(StopSignals).Assembly) Install(holdUntilAttached: true);
    }

    public static void Install(bool holdUntilAttached = false)
    {
        lock (Gate)
        {
            _hold |= holdUntilAttached;
            _registrations ??= [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, OnSignal))];
        }
    }

    /// <summary>Sends the signals to <paramref name="handler"/> until disposed, a signal held before first; none is
    /// held after (the host has stopped: a signal ends the process at once).</summary>
    public static IDisposable Attach(Action<PosixSignal> handler)
    {
        Install();
        PosixSignal? held;
        lock (Gate)
        {
            _handler = handler;
            held = _held;
            _held = null;
            _hold = false;
        }
        if (held is { } signal) handler(signal);
        return new Attachment(handler);
    }

    /// <summary>Runs <paramref name="action"/> if a signal ends the process before the result is disposed.</summary>
    public static IDisposable OnExit(Action action)
    {
        lock (Gate) BeforeExit.Add(action);
        return new Removal(action);
    }

    /// <summary>Ends the process as the signal would have, once the actions of <see cref="OnExit"/> have run. Not by
    /// <see cref="Environment.Exit(int)"/>: the program's own thread goes on while ProcessExit's handlers run, and
    /// would meet the cluster stopping under it — its failure printed, its exit code 1.</summary>
    public static void Exit(PosixSignal signal)
    {
        Action[] actions;
        lock (Gate) actions = [.. BeforeExit];
        foreach (var action in actions) action();
        ExitNow(128 + signal switch
        {
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            _ => 15,
        });
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Action<PosixSignal>? handler;
        lock (Gate)
        {
            handler = _handler;
            if (handler is null && _hold && _held is null)
            {
                _held = context.Signal;
                return;
            }
        }
        if (handler is not null) handler(context.Signal);
        else Exit(context.Signal);
    }

    private sealed class Removal(Action action) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) BeforeExit.Remove(action);
        }
    }

    private sealed class Attachment(Action<PosixSignal> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
                if (_handler == handler) _handler = null;
        }
    }
}
