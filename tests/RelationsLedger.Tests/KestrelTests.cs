using System.Net;
using System.Net.Http.Json;
using RelationsLedger.Platform;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

/// <summary>What only the real server shows (the other HTTP tests run in memory, on ASP.NET Core's test server): the
/// app as a process on its own throwaway PostgreSQL.</summary>
public sealed class KestrelTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LocalPostgres _database = null!;
    private AppProcess _app = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await ScratchCluster.StartAsync("kestrel");
        _app = await AppProcess.StartAsync(_database.ConnectionString, AppProcess.FreePort(), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public void the_web_apps_log_has_no_empty_line()
    {
        // the command line writes one once it has found its verbs, which sat among the start's log lines; the log is
        // read to its last full line (the process runs on)
        var lines = _app.Log.Split('\n')[..^1];
        Assert.DoesNotContain(lines, line => line.TrimEnd('\r').Length == 0);
    }

    [Fact]
    public async Task head_answers_a_read_with_its_headers_and_no_body()
    {
        using var http = _app.Client();
        var recorded = await http.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("PrisonersReleased", "2025-09-11"), Ct);
        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        var eventId = (string)(await recorded.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct))!["eventId"]!;

        foreach (var url in new[] { "/api/relations/US-BY/state?asOf=2025-09-12&basis=1", "/api/relations/US-BY/timeline", $"/api/events/{eventId}", "/" })
        {
            var get = await http.GetAsync(url, Ct);
            var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), Ct);
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (get.StatusCode, head.StatusCode));
            Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
            Assert.Equal(get.Headers.ETag, head.Headers.ETag);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));
            // the length when the GET has one (a streamed answer has none), never a made-up one
            Assert.Equal(Header(get, "Content-Length"), Header(head, "Content-Length"));
        }

        // the ETag check a cache makes, without the answer
        var state = await http.GetAsync("/api/relations/US-BY/state", Ct);
        var conditional = new HttpRequestMessage(HttpMethod.Head, "/api/relations/US-BY/state");
        conditional.Headers.IfNoneMatch.Add(state.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(conditional, Ct)).StatusCode);

        var missing = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/events/{Guid.NewGuid()}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await missing.Content.ReadAsByteArrayAsync(Ct));
        // a route that only takes writes is not read by HEAD
        var write = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/relations/US-BY/events"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        Assert.Equal(["POST"], write.Content.Headers.Allow);
    }

    [Fact]
    public async Task a_url_or_headers_past_the_limits_get_a_problem_not_an_empty_answer()
    {
        using var http = _app.Client();
        var longUrl = await http.GetAsync("/api/relations/US-BY/timeline?types=" + new string('x', 10_000), Ct);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
        Assert.Equal("application/problem+json", longUrl.Content.Headers.ContentType?.MediaType);
        Assert.Contains("At most 8,192 characters", await longUrl.Content.ReadAsStringAsync(Ct));

        var request = new HttpRequestMessage(HttpMethod.Get, "/api/relations/US-BY/state");
        for (var i = 0; i < 5; i++) request.Headers.Add($"X-Padding-{i}", new string('y', 8_000));
        var largeHeaders = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, largeHeaders.StatusCode);
        Assert.Equal("application/problem+json", largeHeaders.Content.Headers.ContentType?.MediaType);
        // many small headers: Kestrel's own count (100) answered an empty 431 for 1.5 KB of them
        var many = new HttpRequestMessage(HttpMethod.Get, "/api/relations/US-BY/state");
        for (var i = 0; i < 101; i++) many.Headers.Add($"X-H{i}", "v");
        var manyHeaders = await http.SendAsync(many, Ct);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, manyHeaders.StatusCode);
        Assert.Contains("At most 100 header fields", await manyHeaders.Content.ReadAsStringAsync(Ct));
        var enough = new HttpRequestMessage(HttpMethod.Get, "/api/relations/US-BY/state");
        for (var i = 0; i < 90; i++) enough.Headers.Add($"X-H{i}", "v");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(enough, Ct)).StatusCode);

        // within the limits, a long query is read as ever
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/relations/US-BY/timeline?types=" + string.Join(',', Enumerable.Repeat("EnvoyVisited", 500)), Ct)).StatusCode);
    }

    [Fact]
    public async Task a_header_whose_bytes_are_not_utf8_gets_a_problem_naming_it_not_an_empty_answer()
    {
        byte[] Latin1(string text) => System.Text.Encoding.Latin1.GetBytes(text);
        var notUtf8 = Latin1("caf\u00e9");
        var utf8 = System.Text.Encoding.UTF8.GetBytes("café");

        var note = await RawAsync("GET /api/relations/US-BY/state", [.. Latin1("X-Note: "), .. notUtf8]);
        Assert.StartsWith("HTTP/1.1 400", note);
        Assert.Contains("Content-Type: application/problem+json", note);
        Assert.Contains("The X-Note header holds bytes that are not UTF-8", note);
        var idempotency = await RawAsync("POST /api/relations/US-BY/events", [.. Latin1($"X-Api-Key: {LedgerApp.ApiKey}\r\nIdempotency-Key: "), .. notUtf8]);
        Assert.StartsWith("HTTP/1.1 400", idempotency);
        Assert.Contains("The Idempotency-Key header holds bytes that are not UTF-8", idempotency);
        // a key that is not UTF-8 is no key the app knows
        var key = await RawAsync("POST /api/relations/US-BY/events", [.. Latin1("X-Api-Key: "), .. notUtf8]);
        Assert.StartsWith("HTTP/1.1 403", key);
        Assert.Contains("Content-Type: application/problem+json", key);

        using var http = _app.Client();
        Assert.Equal(0, (int)(await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/relations/US-BY/state", Ct))!["eventCount"]!);
        // in UTF-8, the same headers are read as ever
        Assert.StartsWith("HTTP/1.1 200", await RawAsync("GET /api/relations/US-BY/state", [.. Latin1("X-Note: "), .. utf8]));
        Assert.StartsWith("HTTP/1.1 201", await RawAsync("POST /api/relations/US-BY/events", [.. Latin1($"X-Api-Key: {LedgerApp.ApiKey}\r\nIdempotency-Key: "), .. utf8]));
    }

    [Fact]
    public async Task open_live_streams_end_when_the_app_stops_instead_of_holding_its_stop_up()
    {
        using var http = _app.Client(TimeSpan.FromSeconds(60));
        var streams = new List<StreamReader>();
        foreach (var pair in new[] { "US-BY", "DE-US" })
        {
            var response = await http.GetAsync($"/api/relations/{pair}/live", HttpCompletionOption.ResponseHeadersRead, Ct);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.Equal(": live", await reader.ReadLineAsync(Ct));
            streams.Add(reader);
        }
        _app.Terminate();
        // the host waits up to its shutdown timeout (30 s) for requests still running: it did for every open page
        Assert.Equal(0, await _app.ExitAsync(TimeSpan.FromSeconds(10), Ct));
        // each stream has ended: read to its end
        foreach (var reader in streams) Assert.StartsWith("retry:", await reader.ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task head_of_a_live_stream_answers_its_headers_and_frees_the_connection()
    {
        // one connection: the next request waits on the server until the HEAD's handler has returned
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = _app.Address, Timeout = TimeSpan.FromSeconds(5) };
        var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/relations/US-BY/live"), Ct);
        Assert.Equal((HttpStatusCode.OK, "text/event-stream"), (head.StatusCode, head.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/relations", Ct)).StatusCode);
    }

    /// <summary>A request written to the socket as its bytes are (HttpClient sends only ASCII headers), with
    /// <paramref name="headers"/> and, for a POST, an event; the whole answer.</summary>
    private async Task<string> RawAsync(string requestLine, byte[] headers)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(_app.Address.Host, _app.Address.Port, Ct);
        var stream = socket.GetStream();
        var body = requestLine.StartsWith("POST") ? System.Text.Encoding.UTF8.GetBytes(Samples.Event("PrisonersReleased", "2025-09-11").ToJsonString()) : [];
        var head = System.Text.Encoding.ASCII.GetBytes($"{requestLine} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n");
        byte[] request = [.. head, .. headers, .. "\r\n\r\n"u8, .. body];
        await stream.WriteAsync(request, Ct);
        return await new StreamReader(stream).ReadToEndAsync(Ct);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Content.Headers.NonValidated.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
