namespace RelationsLedger.Platform;

/// <summary>Where the ledger's PostgreSQL is: <c>ConnectionStrings:Ledger</c> if configured, otherwise a private
/// cluster in <c>Ledger:DataDirectory</c> that this app starts on first use and stops when it stops.</summary>
public sealed class LedgerDatabase(IConfiguration configuration, ILogger<LedgerDatabase> logger, CommandLine.Invocation? invocation = null) : IHostedService
{
    /// <summary>The connection string of a verb that never connects (<see cref="CommandLine.Invocation.Offline"/>) when none
    /// is configured: the store is built, but no cluster is started for it.</summary>
    public const string Unused = "Host=/nonexistent/relationsledger-offline-verb;Database=ledger;Username=ledger";

    private readonly Lock _gate = new();
    private string? _connectionString;
    private LocalPostgres? _embedded;

    public string ConnectionString
    {
        get
        {
            lock (_gate) return _connectionString ??= Resolve();
        }
    }

    private string Resolve()
    {
        var configured = configuration.GetConnectionString("Ledger");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        if (invocation?.Offline == true) return Unused;
        var root = configuration["Ledger:DataDirectory"] ?? LocalPostgres.DefaultRoot();
        logger.LogInformation("No ConnectionStrings:Ledger configured: starting the embedded PostgreSQL in {Directory}", root);
        // a stop signal ends the process without ProcessExit unless handled: the cluster must not outlive it
        StopSignals.Install();
        StopSignals.OnExit(StopAtOnce);
        _embedded = LocalPostgres.StartAsync(root, binDirectory: configuration["Ledger:PostgresBinaries"]).GetAwaiter().GetResult();
        // verbs that build the app but never run it (help, codegen, Marten's and Wolverine's own) get no StopAsync:
        // the cluster that building the store started must not outlive the process
        AppDomain.CurrentDomain.ProcessExit += StopOnExit;
        logger.LogInformation("Embedded PostgreSQL listening on 127.0.0.1:{Port}", _embedded.Port);
        return _embedded.ConnectionString;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = ConnectionString;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _embedded, null) is not { } embedded) return;
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        if (embedded.Borrowed)
        {
            logger.LogInformation("Leaving the embedded PostgreSQL running: the process that started it stops it");
            return;
        }
        logger.LogInformation("Stopping the embedded PostgreSQL");
        await embedded.StopAsync();
    }

    private void StopOnExit(object? sender, EventArgs e) => StopAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>A signal ends the process: the server is told to stop and stops once the process has gone, so nothing
    /// the process still runs meets it stopping. A start under way ends first: the server it leaves would run on.</summary>
    private void StopAtOnce()
    {
        lock (_gate) _embedded?.StopAfterExit();
    }
}
