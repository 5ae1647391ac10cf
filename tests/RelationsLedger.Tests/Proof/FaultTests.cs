using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using RelationsLedger.Platform;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Proof;

/// <summary>Faults against a real app process on its own throwaway PostgreSQL: the app killed mid-load, the database
/// stopped mid-load. Every event answered 201 must be there exactly once afterwards.</summary>
public sealed class FaultTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"relationsledger-faults-{Guid.NewGuid():N}");
    private LocalPostgres _database = null!;

    public async ValueTask InitializeAsync() => _database = await LocalPostgres.StartAsync(_root, throwaway: true);

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task an_app_killed_mid_load_loses_no_acknowledged_event_and_retries_do_not_double()
    {
        var port = AppProcess.FreePort();
        var app = await AppProcess.StartAsync(_database.ConnectionString, port, Ct);
        var acknowledged = new ConcurrentDictionary<Guid, int>();
        var attempts = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
            for (var i = 0; i < 60; i++)
            {
                var id = Guid.NewGuid();
                var body = Samples.Event("LeadersSpoke", $"2025-{1 + w:00}-{1 + i % 28:00}", eventId: id);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (true)
                {
                    Interlocked.Increment(ref attempts);
                    try
                    {
                        var response = await http.PostAsJsonAsync($"/api/relations/US-BY/events", body, Ct);
                        if (response.StatusCode == HttpStatusCode.Created) { acknowledged[id] = 1; break; }
                        Assert.True((int)response.StatusCode is 409 or 503, $"{(int)response.StatusCode}");
                    }
                    catch (HttpRequestException) { }
                    catch (TaskCanceledException) when (!Ct.IsCancellationRequested) { }
                    Assert.True(DateTime.UtcNow < deadline, "a write never succeeded after the restart");
                    await Task.Delay(100, Ct);
                }
            }
        }, Ct)).ToList();

        var loaded = DateTime.UtcNow.AddSeconds(30);
        while (acknowledged.Count < 30 && DateTime.UtcNow < loaded) await Task.Delay(20, Ct);
        var before = acknowledged.Count;
        app.Kill();
        await Task.Delay(500, Ct);
        await using var restarted = await AppProcess.StartAsync(_database.ConnectionString, port, Ct);
        await Task.WhenAll(writers);

        Assert.InRange(before, 30, 239);
        Assert.Equal(240, acknowledged.Count);
        Assert.True(attempts > 240, "the kill interrupted no request");
        var stored = await StoredIds();
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Empty(acknowledged.Keys.Except(stored));
        Assert.Equal(240, stored.Count);
    }

    [Fact]
    public async Task with_the_database_stopped_writes_are_503_and_the_app_recovers_without_a_restart()
    {
        await using var app = await AppProcess.StartAsync(_database.ConnectionString, AppProcess.FreePort(), Ct);
        using var http = app.Client(TimeSpan.FromSeconds(20));
        var acknowledged = new List<Guid>();
        async Task<HttpStatusCode> Write()
        {
            var id = Guid.NewGuid();
            var response = await http.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("LeadersSpoke", "2025-08-15", eventId: id), Ct);
            if (response.StatusCode == HttpStatusCode.Created) acknowledged.Add(id);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return response.StatusCode;
        }
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.Created, await Write());

        await _database.StopAsync();
        var during = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) during.Add(await Write());
        Assert.All(during, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", Ct)).StatusCode);

        _database = await LocalPostgres.StartAsync(_root, throwaway: true);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode status;
        do
        {
            status = await Write();
            Assert.NotEqual(HttpStatusCode.InternalServerError, status);
            if (status != HttpStatusCode.Created) await Task.Delay(250, Ct);
        }
        while (status != HttpStatusCode.Created && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Empty(acknowledged.Except(await StoredIds()));
    }

    private async Task<List<Guid>> StoredIds()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("select id from ledger.mt_events where type <> 'tombstone'", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }
}
