using System.Runtime.InteropServices;

namespace RelationsLedger.CommandLine;

/// <summary>The web app's console lifetime: as the host's own (SIGINT, SIGTERM and SIGQUIT stop it; the same status
/// lines), but a stop asked for while the app is still starting waits for the start to end, then stops it cleanly.
/// The host's own cancels the start instead: whichever step was running — the schema's migration, the seeds, binding
/// the port — failed, and the app exited 1 with its stack trace (a stopped migration printed its whole DDL). A second
/// signal during the start ends the process at once, as the signal itself would have: one line, exit code 128 + the
/// signal's number.</summary>
public sealed class WebAppLifetime(IHostApplicationLifetime lifetime, IHostEnvironment environment, ILoggerFactory loggers, IEnumerable<ILoggerProvider> logs) : IHostLifetime, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Microsoft.Hosting.Lifetime");
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _lock = new();
    private bool _started, _stopAsked;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(lifetime.ApplicationStarted.Register(OnStarted));
        _registrations.Add(lifetime.ApplicationStopping.Register(() => _logger.LogInformation("Application is shutting down...")));
        _registrations.Add(Platform.StopSignals.Attach(OnSignal));
        return Task.CompletedTask;
    }

    private void OnStarted()
    {
        _logger.LogInformation("Application started. Press Ctrl+C to shut down.");
        _logger.LogInformation("Hosting environment: {EnvName}", environment.EnvironmentName);
        _logger.LogInformation("Content root path: {ContentRoot}", environment.ContentRootPath);
        lock (_lock)
        {
            _started = true;
            if (!_stopAsked) return;
        }
        lifetime.StopApplication();
    }

    private void OnSignal(PosixSignal signal)
    {
        bool first, started;
        lock (_lock)
        {
            (first, started) = (!_stopAsked, _started);
            _stopAsked = true;
        }
        if (started) lifetime.StopApplication();
        else if (first) _logger.LogInformation("Stopping once the app has started ({Signal} again to stop at once)", signal);
        else ExitWhileStarting(signal);
    }

    /// <summary>Stopping the host mid-start would fail whichever step was running, and print its failure as the
    /// host's own and the command line's (80 lines for a cancelled seeding). Nothing has been served yet, and every
    /// step's unfinished transaction is rolled back by PostgreSQL when the connection drops; the embedded cluster is
    /// told to stop as the process ends (<see cref="Platform.StopSignals"/>).</summary>
    private void ExitWhileStarting(PosixSignal signal)
    {
        _logger.LogWarning("Stopped at once by a second {Signal}: the app had not finished starting", signal);
        // the console's logger writes from a queue of its own: disposing it writes what is queued
        foreach (var log in logs) log.Dispose();
        Platform.StopSignals.Exit(signal);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
