using System.Runtime.InteropServices;

namespace RelationsLedger.CommandLine;

/// <summary>The web app's console lifetime: as the host's own (SIGINT, SIGTERM and SIGQUIT stop it; the same status
/// lines), but a stop asked for while the app is still starting waits for the start to end, then stops it cleanly.
/// The host's own cancels the start instead: whichever step was running — the schema's migration, the seeds, binding
/// the port — failed, and the app exited 1 with its stack trace (a stopped migration printed its whole DDL). A second
/// signal stops at once, as before.</summary>
public sealed class WebAppLifetime(IHostApplicationLifetime lifetime, IHostEnvironment environment, ILoggerFactory loggers) : IHostLifetime, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Microsoft.Hosting.Lifetime");
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _lock = new();
    private bool _started, _stopAsked;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(lifetime.ApplicationStarted.Register(OnStarted));
        _registrations.Add(lifetime.ApplicationStopping.Register(() => _logger.LogInformation("Application is shutting down...")));
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
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

    private void OnSignal(PosixSignalContext context)
    {
        // the process is not ended by the signal: the host stops and the program returns
        context.Cancel = true;
        lock (_lock)
        {
            var first = !_stopAsked;
            _stopAsked = true;
            if (!_started && first)
            {
                _logger.LogInformation("Stopping once the app has started ({Signal} again to stop at once)", context.Signal);
                return;
            }
        }
        lifetime.StopApplication();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
