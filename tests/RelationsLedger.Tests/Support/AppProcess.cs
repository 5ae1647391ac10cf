using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RelationsLedger.Tests.Support;

/// <summary>The app as a real process on a loopback port, for tests that kill it or its database.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Uri? _address;
    private readonly System.Text.StringBuilder _log = new();

    private AppProcess(Process process, Uri? address)
    {
        _process = process;
        _address = address;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address => _address ?? throw new InvalidOperationException("A verb serves no address");
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The app's own build output, not the test folder (whose extra assemblies Wolverine would scan).</summary>
    public static string AppDll =>
        Path.Combine(AppContext.BaseDirectory.Replace(Path.Combine("tests", "RelationsLedger.Tests"), Path.Combine("src", "RelationsLedger")), "RelationsLedger.dll");

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> to its exit — the app as a verb: <see cref="AppDll"/>
    /// first — with <paramref name="environment"/> set (a null value removes the variable), both outputs read as it runs.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken ct, string? workingDirectory = null)
    {
        using var process = Process.Start(Dotnet(arguments, environment, workingDirectory))!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The app's verb <paramref name="args"/> started, not waited for, with <paramref name="environment"/> set
    /// (a null value removes the variable).</summary>
    public static AppProcess LaunchVerb(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        new(Process.Start(Dotnet([AppDll, .. args], environment))!, null);

    private static ProcessStartInfo Dotnet(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        return start;
    }

    /// <summary>The app's verb <paramref name="args"/> run on the database at <paramref name="connectionString"/>,
    /// its tables 200 columns wide.</summary>
    public static Task<(int Exit, string Output, string Error)> VerbAsync(string connectionString, CancellationToken ct, params string[] args) =>
        RunAsync([AppDll, .. args], new Dictionary<string, string?> { ["ConnectionStrings__Ledger"] = connectionString, ["COLUMNS"] = "200" }, ct);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<AppProcess> StartAsync(string connectionString, int port, CancellationToken ct, bool seed = false)
    {
        var app = Launch(connectionString, port, seed);
        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (app._process.HasExited) throw new InvalidOperationException($"The app exited ({app._process.ExitCode}): {app.Log}");
            try
            {
                if ((await http.GetAsync("/health/ready", ct)).IsSuccessStatusCode) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"The app did not become ready: {app.Log}");
    }

    /// <summary>The web app started, not waited for; its log at warnings and above, and <paramref name="logging"/>'s
    /// categories at theirs.</summary>
    public static AppProcess Launch(string connectionString, int port, bool seed = false, IReadOnlyDictionary<string, string>? logging = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Ledger"] = connectionString,
            ["Ledger__SeedOnStart"] = seed ? "true" : "false",
            ["Ledger__ApiKey"] = LedgerApp.ApiKey,
            ["Ledger__RateLimit__PermitsPerMinute"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (category, level) in logging ?? new Dictionary<string, string>()) environment[$"Logging__LogLevel__{category}"] = level;
        // no arguments, the address in the environment: as the image and `dotnet run` start the web app
        return new AppProcess(Process.Start(Dotnet([AppDll], environment))!, new Uri($"http://127.0.0.1:{port}"));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>SIGTERM, as <c>docker stop</c> and a service manager send it (Ctrl+C's SIGINT is handled alike).</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill failed: {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The process's exit code once it has exited, or null if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> ExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try { await _process.WaitForExitAsync(ct).WaitAsync(timeout, ct); }
        catch (TimeoutException) { return null; }
        return _process.ExitCode;
    }

    /// <summary>Until <paramref name="reached"/>, the process running meanwhile (it fails the test if it exits, or if a
    /// minute passes: <paramref name="what"/> and the log say why).</summary>
    public async Task RunsUntilAsync(Func<Task<bool>> reached, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await reached())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: {Log}");
            Assert.Null(await ExitAsync(TimeSpan.FromMilliseconds(20), ct));
        }
    }

    /// <summary>SIGKILL: no shutdown, no flushing, like a crash.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public HttpClient Client(TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
        return client;
    }

    private bool _disposed;

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        if (!_process.HasExited) Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
