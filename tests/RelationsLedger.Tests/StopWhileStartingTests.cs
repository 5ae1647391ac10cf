using Npgsql;
using RelationsLedger.Platform;
using RelationsLedger.Seeding;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary>Ctrl+C or SIGTERM while the web app starts (<see cref="CommandLine.WebAppLifetime"/>): the start is held
/// mid-way by the seeds' lock, taken here, so the signal lands inside it every time.</summary>
public sealed class StopWhileStartingTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LocalPostgres _database = null!;
    private NpgsqlConnection _seedLock = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchCluster.StartAsync("stop");
        _seedLock = new NpgsqlConnection(_database.ConnectionString);
        await _seedLock.OpenAsync(Ct);
        await Sql.ExecuteAsync(_seedLock, $"select pg_advisory_lock({Seeds.Lock})", Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _seedLock.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task a_stop_asked_for_while_the_app_starts_waits_for_the_start_and_ends_cleanly()
    {
        await using var app = AppProcess.Launch(_database.ConnectionString, AppProcess.FreePort(), seed: true,
            logging: new Dictionary<string, string> { ["Microsoft.Hosting.Lifetime"] = "Information" });
        await SeedingWaitsAsync(app);

        app.Terminate();
        Assert.Null(await app.ExitAsync(TimeSpan.FromSeconds(2), Ct));
        Assert.Contains("Stopping once the app has started (SIGTERM again to stop at once)", app.Log);

        await Sql.ExecuteAsync(_seedLock, $"select pg_advisory_unlock({Seeds.Lock})", Ct);
        Assert.Equal(0, await app.ExitAsync(TimeSpan.FromSeconds(60), Ct));
        // the start ran to its end — the seeds are in — and nothing failed on the way out
        Assert.True(await EventsAsync() > 50, app.Log);
        Assert.Contains("Application started.", app.Log);
        Assert.DoesNotContain("fail:", app.Log);
        Assert.DoesNotContain("Exception", app.Log);
    }

    [Fact]
    public async Task a_second_stop_while_the_app_starts_stops_it_at_once()
    {
        await using var app = AppProcess.Launch(_database.ConnectionString, AppProcess.FreePort(), seed: true);
        await SeedingWaitsAsync(app);

        app.Terminate();
        Assert.Null(await app.ExitAsync(TimeSpan.FromSeconds(1), Ct));
        app.Terminate();
        // the seeds' lock is still held here: the start did not end, it was stopped — in one line, with the exit
        // code of a process the signal ended (128 + 15), not the cancelled start's failure and stack trace
        Assert.Equal(143, await app.ExitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(0, await EventsAsync());
        Assert.Contains("Stopped at once by a second SIGTERM: the app had not finished starting", app.Log);
        Assert.DoesNotContain("fail:", app.Log);
        Assert.DoesNotContain("Exception", app.Log);
    }

    /// <summary>Until the app's start waits for the seeds' lock this test holds.</summary>
    private Task SeedingWaitsAsync(AppProcess app) =>
        app.RunsUntilAsync(() => Sql.AdvisoryLockAwaitedAsync(_database.ConnectionString, Ct), "the app's start never reached the seeds", Ct);

    private Task<long> EventsAsync() =>
        Sql.CountAsync(_database.ConnectionString, "select count(*) from ledger.mt_events where type <> 'tombstone'", Ct);
}
