using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Relations;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests;

public sealed class ApiHardeningTests(LedgerApp app) : ApiTest(app)
{
    [Fact]
    public async Task a_query_parameter_an_endpoint_does_not_take_is_a_400_naming_the_ones_it_takes()
    {
        await PostEvent("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        // a misspelt filter was ignored: the whole register, today's state, an append without its version check
        foreach (var (url, name, says) in new[]
                 {
                     ("/api/sanctions?imposed_by=US", "imposed_by", "which takes asOf, imposedBy, status, target, match, knownAt, basis, format."),
                     ("/api/relations/US-BY/state?asOf=2022-03-01&as_of=2022-01-01", "as_of", "which takes asOf, knownAt, basis."),
                     ("/api/relations/US-BY/timeline?form=2025-01-01", "form", "which takes from, to, types, knownAt, basis, includeRetracted, limit, after, q, match, format."),
                     ("/api/relations?pair=US-BY", "pair", "this endpoint takes none."),
                 })
        {
            var response = await Http.GetAsync(url, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemOf(response);
            Assert.Equal("Unknown query parameter.", (string)problem["title"]!);
            Assert.EndsWith(says, (string)problem["errors"]![name]![0]!);
        }
        var before = await App.EventCountAsync();
        var post = await Http.PostAsJsonAsync("/api/relations/US-BY/events?expectedVersion=0", Samples.Event("EmbassyReopened", "2025-09-11"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Contains("expectedVersion", (await ProblemOf(post))["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(before, await App.EventCountAsync());
        // names are read in any case, as the endpoints read them; an empty pair of separators names nothing
        Assert.Equal("2022-03-01", (string)(await Http.GetFromJsonAsync<JsonObject>("/api/relations/US-BY/state?ASOF=2022-03-01&&", Ct))!["asOf"]!);
    }

    [Fact]
    public async Task every_query_parameter_the_api_reference_documents_is_taken()
    {
        var document = (await Http.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Ct))!;
        var asked = 0;
        foreach (var (path, operations) in document["paths"]!.AsObject())
        foreach (var (method, operation) in operations!.AsObject().Where(o => o.Key == "get"))
        foreach (var parameter in operation!["parameters"]?.AsArray() ?? [])
        {
            if ((string)parameter!["in"]! != "query") continue;
            var url = path.Replace("{pair}", "US-BY").Replace("{id}", Guid.NewGuid().ToString()) + $"?{parameter["name"]}=x";
            var response = await Http.GetAsync(url, Ct);
            // a value the parameter does not take is another 400; only the name matters here
            if (response.StatusCode == HttpStatusCode.BadRequest) Assert.NotEqual("Unknown query parameter.", (string)(await ProblemOf(response))["title"]!);
            asked++;
        }
        Assert.True(asked >= 30, $"{asked} query parameters documented");
    }

    [Fact]
    public async Task a_body_over_256_KiB_is_413_and_appends_nothing()
    {
        var body = Samples.Event("EmbassyClosed", "2022-02-28");
        body["summary"] = new string('x', 270_000);
        var response = await PostEvent("US-BY", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await ProblemOf(response);
        Assert.Equal(0, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_body_near_the_limit_is_read_whole_with_its_length_or_without_it()
    {
        // ≈ 220 KB each: one with its length (read into one buffer of that size), one without (chunked, as a JSON
        // content sends it: read in growing pieces)
        JsonArray Batch(string tag) => [.. Enumerable.Range(0, 100).Select(JsonNode (i) => Samples.Event("StatementMade", "2024-01-01", summary: $"{tag} {i:000} {Letters(i, 1_900)}"))];
        var sized = new ByteArrayContent(Encoding.UTF8.GetBytes(Batch("sized").ToJsonString())) { Headers = { ContentType = new("application/json") } };
        var chunked = JsonContent.Create(Batch("chunked"));
        Assert.InRange(sized.Headers.ContentLength!.Value, 200_000, 262_144);
        foreach (var content in new HttpContent[] { sized, chunked })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events/batch") { Content = content };
            request.Headers.TransferEncodingChunked = content == chunked;
            var response = await Http.SendAsync(request, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        }
        Assert.Equal(200, await App.EventCountAsync());
        var timeline = JsonNode.Parse(await Http.GetStringAsync("/api/relations/US-BY/timeline?limit=1000", Ct))!;
        var summaries = timeline["events"]!.AsArray().Select(e => (string)e!["summary"]!).Order(StringComparer.Ordinal);
        Assert.Equal(Batch("chunked").Concat(Batch("sized")).Select(e => (string)e!["summary"]!).Order(StringComparer.Ordinal), summaries);
    }

    private static string Letters(int seed, int count) => new([.. Enumerable.Range(0, count).Select(j => (char)('a' + (seed * 7 + j * 13 + j / 26) % 26))]);

    [Fact]
    public async Task a_database_that_stops_answering_is_a_clean_503_for_reads_that_stream_their_answer() =>
        await OnOwnDatabaseAsync(async (host, ended) =>
        {
            using var client = host.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sanctions", Ct)).StatusCode);
            // closed to new connections once the host has started on it
            await ended(true);
            // the register writes its rows as it folds each pair: nothing of it may precede the problem
            foreach (var url in new[] { "/api/sanctions", "/api/sanctions?format=csv" })
            {
                var response = await client.GetAsync(url, Ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal(503, (int)(await ProblemOf(response))["status"]!);
            }
        });

    [Fact]
    public async Task a_write_on_a_pooled_session_the_server_ended_is_recorded_on_a_new_one() =>
        await OnOwnDatabaseAsync(async (host, ended) =>
        {
            using var client = host.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
            string[] pairs = ["US-BY", "US-RU", "BY-LT", "US-UA"];
            var day = 0;
            async Task<HttpStatusCode> Post(string pair) =>
                (await PostEvent(pair, Samples.Event("StatementMade", $"2020-01-{++day:00}"), client)).StatusCode;
            // writes on four pairs at once leave the writer more than one pooled session; then the server ends them all,
            // as a restart of PostgreSQL does
            Assert.All(await Task.WhenAll(pairs.Select(Post)), status => Assert.Equal(HttpStatusCode.Created, status));
            await ended(false);

            Assert.Equal(HttpStatusCode.Created, await Post("US-BY"));
            Assert.All(await Task.WhenAll(pairs.Select(Post)), status => Assert.Equal(HttpStatusCode.Created, status));
            await ended(false);
            // a bulk write (over 100 events) is committed on its own, beside the groups
            JsonArray batch = [.. Enumerable.Range(0, 150).Select(JsonNode (i) => Samples.Event("StatementMade", "2021-01-01", summary: $"batch {i}"))];
            var response = await client.PostAsJsonAsync("/api/relations/US-BY/events/batch", batch, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));

            // each write once: none lost, none twice
            var timeline = JsonNode.Parse(await client.GetStringAsync("/api/relations/US-BY/timeline?limit=1000", Ct))!["events"]!.AsArray();
            Assert.Equal(1 + 1 + 1 + 150, timeline.Count);
            await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
            Assert.Equal(4 + 1 + 4 + 150, await RelationsLedger.Relations.Replaying.Reading.AllRecorded(session).CountAsync(Ct));
        });

    /// <summary>Runs <paramref name="test"/> on a host over a database of its own, created for it and dropped after. The
    /// test is given the host, and a way to end every session of that database from the server's side — as a restart
    /// of PostgreSQL does — and, when asked, to refuse new ones too (a database that stops answering).</summary>
    private async Task OnOwnDatabaseAsync(Func<Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>, Func<bool, Task>, Task> test)
    {
        var name = $"ledger_own_{Guid.NewGuid():N}";
        await using var admin = new Npgsql.NpgsqlConnection(App.ConnectionString);
        await admin.OpenAsync(Ct);
        await Sql.ExecuteAsync(admin, $"create database {name}", Ct);
        try
        {
            await using var host = App.WithSettings(("ConnectionStrings:Ledger", new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString) { Database = name }.ConnectionString));
            await test(host, refuseNew => Sql.ExecuteAsync(admin,
                (refuseNew ? $"alter database {name} allow_connections false; " : "")
                + $"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{name}'", Ct));
        }
        finally
        {
            await Sql.ExecuteAsync(admin, $"drop database {name} with (force)", Ct);
        }
    }

    [Fact]
    public async Task a_body_that_is_not_json_is_415()
    {
        var response = await Http.PostAsync("/api/relations/US-BY/events", new StringContent("type=EmbassyClosed", Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await ProblemOf(response);
        // the media type whole, and the body read as UTF-8: another charset would be read wrong
        var body = Samples.Event("EnvoyVisited", "2025-09-11").ToJsonString();
        foreach (var type in new[] { "application/jsonx", "application/json, text/plain", "application/json; charset=utf-16", "application/json; charset=latin1", "text/json" })
        {
            var content = new StringContent(body);
            content.Headers.ContentType = null;
            content.Headers.TryAddWithoutValidation("Content-Type", type);
            var refused = await Http.PostAsync("/api/relations/US-BY/events", content, Ct);
            Assert.True(refused.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{type}: {refused.StatusCode}");
        }
        Assert.Equal(0, await App.EventCountAsync());
        foreach (var type in new[] { "application/json; charset=UTF-8", "application/json; charset=\"utf-8\"", "application/problem+json", "Application/JSON" })
        {
            var content = new StringContent(body);
            content.Headers.ContentType = null;
            content.Headers.TryAddWithoutValidation("Content-Type", type);
            var taken = await Http.PostAsync("/api/relations/US-BY/events", content, Ct);
            Assert.True(taken.StatusCode == HttpStatusCode.Created, $"{type}: {taken.StatusCode}");
        }
    }

    [Fact]
    public async Task an_unknown_route_is_a_404_problem_with_a_trace_id()
    {
        var response = await Http.GetAsync("/api/nothing-here", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull((await ProblemOf(response))["traceId"]);
    }

    [Fact]
    public async Task a_key_over_its_rate_gets_429_with_retry_after()
    {
        await using var limited = App.WithSettings(("Ledger:RateLimit:PermitsPerMinute", "3"));
        using var client = limited.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 4; i++)
        {
            last = await client.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("LeadersSpoke", $"2025-01-0{i + 1}"), Ct);
            statuses.Add(last.StatusCode);
        }
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(int.Parse(last.Headers.GetValues("Retry-After").Single()) > 0);
        await ProblemOf(last);
        Assert.Equal(3, await App.EventCountAsync());
        // a read with the key counts against it too; without a valid key, against the address, guesses at a key as well
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/api/relations", Ct)).StatusCode);
        using var anonymous = limited.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/relations", Ct)).StatusCode);
        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var guess = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(Samples.Event("LeadersSpoke", "2025-01-05")) };
            guess.Headers.Add("X-Api-Key", $"guess-{i}");
            guesses.Add((await anonymous.SendAsync(guess, Ct)).StatusCode);
        }
        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests], guesses);
    }

    [Fact]
    public async Task an_idempotency_key_makes_a_retry_answer_the_original_and_another_body_a_409()
    {
        async Task<HttpResponseMessage> Send(JsonObject body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "import-2025-09-11-release");
            return await Http.SendAsync(request, Ct);
        }
        var first = await Send(Samples.Event("PrisonersReleased", "2025-09-11"));
        var retry = await Send(Samples.Event("PrisonersReleased", "2025-09-11"));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, retry.StatusCode));
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        var other = await Send(Samples.Event("PrisonersReleased", "2025-09-12"));
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task the_openapi_document_describes_every_endpoint_and_every_type_with_an_example()
    {
        var document = await GetJson("/openapi/v1.json");
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/api/relations/{pair}/events", "/api/relations/{pair}/events/batch", "/api/relations/{pair}/state",
                     "/api/relations/{pair}/timeline", "/api/relations/{pair}/diff", "/api/relations", "/api/events", "/api/events/{id}", "/api/sanctions" })
            Assert.True(paths.ContainsKey(path), path);
        var post = paths["/api/relations/{pair}/events"]!["post"]!;
        Assert.Equal("#/components/schemas/EventEnvelope", (string?)post["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        Assert.NotNull(post["responses"]!["201"]);
        // the operations' own groups, each with operations, and no other (the generator's handler class names)
        var tags = document["tags"]!.AsArray().Select(t => (string)t!["name"]!).ToList();
        Assert.Equal(["The ledger", "Recording events", "Replaying history", "Sanctions"], tags);
        var used = paths.SelectMany(p => p.Value!.AsObject().SelectMany(o => o.Value!["tags"]!.AsArray().Select(t => (string)t!))).ToHashSet();
        Assert.Equal(tags.Order(), used.Order());
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var type in EventCatalog.All)
        {
            var schema = schemas[$"{type.Name}Data"];
            Assert.NotNull(schema);
            Assert.Equal(type.Fields.Select(f => f.Name).Order(), (schema!["properties"]?.AsObject().Select(p => p.Key) ?? []).Order());
            // OpenAPI 3.1's schema examples (its single "example" is deprecated)
            if (type.Fields.Count > 0)
                Assert.True(JsonNode.DeepEquals(EventExamples.Data[type.Name], schema["examples"]?[0]), schema.ToJsonString());
            Assert.False((bool)schema["additionalProperties"]!);
        }
        // each read's answer is described, and every name at the top of the answer is in its description: the
        // generator's guesses from the signatures (an IResult schema; a 404 and a 409 on every read) are gone
        Assert.DoesNotContain("IResult", document.ToJsonString());
        Assert.Contains("[Back to the dashboards](/)", (string)document["info"]!["description"]!);
        var fact = await Record("US-BY", Samples.Event("EnvoyVisited", "2025-09-11"));
        foreach (var (path, url) in new[] { ("/api/relations/{pair}/state", "/api/relations/US-BY/state"), ("/api/relations/{pair}/timeline", "/api/relations/US-BY/timeline"),
                     ("/api/relations/{pair}/diff", "/api/relations/US-BY/diff?from=2020-01-01&to=2025-12-31"), ("/api/relations/{pair}/series", "/api/relations/US-BY/series"),
                     ("/api/relations", "/api/relations"), ("/api/events", "/api/events"), ("/api/events/{id}", $"/api/events/{fact["eventId"]}"),
                     ("/api/sanctions", "/api/sanctions"), ("/api/catalog", "/api/catalog"), ("/api/status", "/api/status") })
        {
            var responses = paths[path]!["get"]!["responses"]!.AsObject();
            var described = (string)responses["200"]!["description"]!;
            foreach (var name in (await GetJson(url)).Select(p => p.Key))
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(described, $@"\b{name}\b"), $"{path}: {name} is not in \"{described}\"");
            Assert.False(responses.ContainsKey("409"), path);
            Assert.Equal(path == "/api/events/{id}", responses.ContainsKey("404"));
        }
        var docs = await Http.GetAsync("/docs", Ct);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.DoesNotContain("<script>", await docs.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task cross_origin_requests_get_no_cors_grant_by_default()
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/relations/US-BY/events");
        preflight.Headers.Add("Origin", "https://elsewhere.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var response = await Http.SendAsync(preflight, Ct);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task validation_errors_list_every_failing_field_over_http()
    {
        var body = Samples.Event("EnvoyVisited", "2025-13-01", new JsonObject { ["envoy"] = "", ["envoyOf"] = "USA", ["city"] = 5, ["metWith"] = new JsonArray() });
        body["sources"] = new JsonArray(new JsonObject { ["url"] = "not a url" });
        var problem = await ProblemOf(await PostEvent("US-BY", body));
        Assert.Equal(["data.city", "data.envoy", "data.envoyOf", "data.metWith", "occurredOn", "sources[0].outlet", "sources[0].url"],
            problem["errors"]!.AsObject().Select(kv => kv.Key).Order());
    }

    [Fact]
    public async Task a_correction_that_changes_nothing_and_a_name_broken_over_lines_are_400s_and_append_nothing()
    {
        var fact = (Guid)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["eventId"]!;
        var noop = await ProblemOf(await PostEvent("US-BY", Samples.Correction(fact, new JsonObject { ["data"] = new JsonObject() })));
        Assert.Contains("Changes nothing", (string)noop["errors"]!["data.patch"]![0]!);
        Assert.False((bool)(await GetJson($"/api/events/{fact}"))["corrected"]!);
        var tabbed = Samples.Event("EmbassyOpened", "2025-01-01");
        tabbed["data"]!["city"] = "Minsk\tcentre";
        Assert.Equal(["data.city"], (await ProblemOf(await PostEvent("US-BY", tabbed)))["errors"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_field_named_twice_is_a_400_even_inside_a_correction_patch_and_appends_nothing()
    {
        var fact = (Guid)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["eventId"]!;
        var twice = Samples.Event("EmbassyOpened", "2025-01-01").ToJsonString().Replace("\"type\":\"EmbassyOpened\"", "\"type\":\"Bogus\",\"type\":\"EmbassyOpened\"");
        var patch = Samples.Correction(fact, new JsonObject { ["summary"] = "SUMMARY" }).ToJsonString().Replace("\"summary\":\"SUMMARY\"", "\"summary\":\"one\",\"summary\":\"two\"");
        foreach (var (url, body) in new[] { ("/api/relations/US-BY/events", twice), ("/api/relations/US-BY/events", patch), ("/api/relations/US-BY/events/batch", $"[{patch}]") })
        {
            var response = await Http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Duplicate", (string)(await ProblemOf(response))["errors"]!["$"]![0]!);
        }
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task racing_retractions_of_one_fact_record_one_and_refuse_the_rest()
    {
        // each request reads the fact unretracted before any of them holds the stream: the writer checks again under its lock
        for (var round = 0; round < 3; round++)
        {
            var fact = (Guid)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["eventId"]!;
            var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => PostEvent("US-BY", Samples.Retraction(fact))));
            Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
            foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
            {
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.Contains("already retracted", (await ProblemOf(refused))["errors"]!.ToJsonString());
            }
        }
        Assert.Equal(6, await App.EventCountAsync());
    }

    [Fact]
    public async Task no_correction_racing_a_retraction_is_recorded_after_it()
    {
        var fact = (Guid)(await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28")))["eventId"]!;
        var writes = Enumerable.Range(0, 12).Select(i => i == 6 ? Samples.Retraction(fact) : Samples.Correction(fact, new JsonObject { ["summary"] = $"Corrected {i}" }));
        var answers = await Task.WhenAll(writes.Select(w => PostEvent("US-BY", w)));
        Assert.Equal(HttpStatusCode.Created, answers[6].StatusCode);
        var retraction = (long)JsonNode.Parse(await answers[6].Content.ReadAsStringAsync(Ct))!["version"]!;
        foreach (var answer in answers.Where((_, i) => i != 6))
            if (answer.StatusCode == HttpStatusCode.Created) Assert.True((long)JsonNode.Parse(await answer.Content.ReadAsStringAsync(Ct))!["version"]! < retraction);
            else Assert.Contains("already retracted", (await ProblemOf(answer))["errors"]!.ToJsonString());
    }

    [Fact]
    public async Task identical_requests_racing_with_one_event_id_all_answer_its_receipt()
    {
        var fact = Samples.Event("PrisonersReleased", "2025-09-11", eventId: Guid.NewGuid());
        // a retraction's copies race too: each later one finds the fact retracted — by the first
        var retraction = Samples.Retraction(Guid.Parse((string)fact["eventId"]!));
        retraction["eventId"] = Guid.NewGuid().ToString();
        foreach (var body in new[] { fact, retraction })
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => PostEvent("US-BY", body)));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
            var receipts = await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync(Ct)));
            Assert.Single(receipts.Distinct());
        }
        Assert.Equal(2, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_batch_repeating_some_recorded_events_beside_new_ones_is_a_409_that_says_so()
    {
        var recorded = Samples.Event("PrisonersReleased", "2025-09-11", eventId: Guid.NewGuid());
        await Record("US-BY", recorded);
        var batch = new JsonArray(recorded.DeepClone(), Samples.Event("EnvoyVisited", "2025-09-11"));
        var response = await Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", batch, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already recorded by an earlier request", (string)(await ProblemOf(response))["detail"]!);
        Assert.Equal(1, await App.EventCountAsync());
    }

    [Fact]
    public async Task a_batch_racing_copies_of_one_of_its_events_is_told_it_repeats_them_not_that_their_body_differs()
    {
        var conflicts = 0;
        for (var round = 0; round < 15; round++)
        {
            var single = Samples.Event("PrisonersReleased", "2025-09-11", eventId: Guid.NewGuid());
            var batch = new JsonArray(single.DeepClone(), Samples.Event("EnvoyVisited", "2025-09-11", eventId: Guid.NewGuid()));
            var sent = Enumerable.Range(0, 3).Select(_ => PostEvent("US-BY", single))
                .Append(Http.PostAsJsonAsync("/api/relations/US-BY/events/batch", batch, Ct)).ToList();
            var answers = await Task.WhenAll(sent);
            Assert.All(answers[..^1], a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
            if (answers[^1].StatusCode == HttpStatusCode.Created) continue;
            Assert.Equal(HttpStatusCode.Conflict, answers[^1].StatusCode);
            Assert.Contains("already recorded by an earlier request", (string)(await ProblemOf(answers[^1]))["detail"]!);
            conflicts++;
        }
        Assert.True(conflicts > 0, "no round raced");
    }

    [Theory]
    [InlineData("/api/relations/US-BY/state?knownAt=1.5", "knownAt")]
    [InlineData("/api/relations/US-BY/state?knownAt=1%2F2%2F2025", "knownAt")]
    [InlineData("/api/relations/US-BY/timeline?includeRetracted=maybe", "includeRetracted")]
    [InlineData("/api/relations/US-BY/timeline?limit=%2B1", "limit")]
    [InlineData("/api/relations/US-BY/timeline?limit=%205", "limit")]
    [InlineData("/api/relations/US-BY/timeline?after=2025-01-01~-1", "after")]
    [InlineData("/api/relations/US-BY/timeline?after=2025-01-01~%2B5", "after")]
    [InlineData("/api/sanctions?status=eased%2Clifted", "status")]
    [InlineData("/api/sanctions?status=1", "status")]
    [InlineData("/api/sanctions?format=xml", "format")]
    public async Task query_values_in_other_forms_than_documented_are_400s(string url, string field)
    {
        var response = await Http.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ProblemOf(response))["errors"]![field]);
    }

    [Theory]
    [InlineData("/api/relations/US-BY/state?knownAt=2025-09-12T08:00:00Z")]
    [InlineData("/api/relations/US-BY/state?knownAt=2025-09-12T08:00:00.123%2B02:00")]
    [InlineData("/api/relations/US-BY/state?knownAt=2025-09-12")]
    [InlineData("/api/relations/US-BY/timeline?includeRetracted")]
    [InlineData("/api/relations/US-BY/timeline?includeRetracted=False&limit=5")]
    public async Task the_documented_forms_are_read(string url) => await GetJson(url);

    [Fact]
    public async Task enumerated_query_values_in_any_case_read_as_their_documented_forms()
    {
        await Record("US-BY", Samples.Event("SanctionsImposed", "2023-08-09"));
        await Record("US-BY", Samples.Event("SanctionsEased", "2025-09-11"));
        var visit = await Record("US-BY", Samples.Event("EnvoyVisited", "2025-09-11"));
        await Record("US-BY", Samples.Retraction(Guid.Parse((string)visit["eventId"]!)));
        foreach (var (documented, other, shows) in new[]
        {
            ("/api/sanctions?asOf=2025-12-31&format=csv", "/api/sanctions?asOf=2025-12-31&format=CSV", "\"eased\""),
            ("/api/sanctions?asOf=2025-12-31&status=eased&format=json", "/api/sanctions?asOf=2025-12-31&status=Eased&format=Json", "\"eased\""),
            ("/api/relations/US-BY/timeline?types=EnvoyVisited&includeRetracted=true", "/api/relations/US-BY/timeline?types=envoyVisited&includeRetracted=TRUE", "EnvoyVisited"),
            ($"/api/relations/US-BY/timeline?types=EnvoyVisited&includeRetracted=true&basis={visit["sequence"]}",
                $"/api/relations/US-BY/timeline?types=ENVOYVISITED&includeRetracted=True&basis={visit["sequence"]}", "EnvoyVisited"),
        })
        {
            var (expected, actual) = (await Http.GetAsync(documented, Ct), await Http.GetAsync(other, Ct));
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (expected.StatusCode, actual.StatusCode));
            // the same answer, but for the moment an unpinned register was read
            static string Answer(string body) => System.Text.RegularExpressions.Regex.Replace(body, "^(\\{\"asOf\":\"[^\"]*\"),\"knownAt\":\"[^\"]*\"", "$1");
            var body = Answer(await expected.Content.ReadAsStringAsync(Ct));
            Assert.Contains(shows, body);
            Assert.Equal(body, Answer(await actual.Content.ReadAsStringAsync(Ct)));
        }
    }

    [Fact]
    public async Task a_method_a_read_does_not_take_is_a_405_whose_allow_names_head_beside_get()
    {
        foreach (var url in new[] { "/api/relations/US-BY/state", "/api/sanctions", "/relations/US-BY" })
        {
            var response = await Http.DeleteAsync(url, Ct);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
            await ProblemOf(response);
        }
        var write = await Http.PutAsync("/api/relations/US-BY/events", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        Assert.Equal(["POST"], write.Content.Headers.Allow);
        // without a key as well (no key opens a route to a method it does not take), and on the probes and the metrics
        using var anonymous = App.CreateClient(apiKey: null);
        foreach (var url in new[] { "/api/relations/US-BY/state", "/health/live", "/health/ready", "/metrics" })
        {
            var response = await anonymous.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{url}: {response.StatusCode}");
            Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
        }
    }

    [Fact]
    public async Task conflicting_or_repeated_write_headers_are_400s_and_append_nothing()
    {
        var disagreeing = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events")
        {
            Content = JsonContent.Create(WithExpectedVersion(Samples.Event("EnvoyVisited", "2025-09-11"), 0)),
        };
        disagreeing.Headers.TryAddWithoutValidation("If-Match", "\"3\"");
        var twoKeys = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(Samples.Event("EnvoyVisited", "2025-09-11")) };
        twoKeys.Headers.Add("Idempotency-Key", ["a", "b"]);
        // an empty key would be no key, and each retry it was sent to make safe would be recorded
        var emptyKey = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(Samples.Event("EnvoyVisited", "2025-09-11")) };
        emptyKey.Headers.TryAddWithoutValidation("Idempotency-Key", " ");
        var emptyVersion = new HttpRequestMessage(HttpMethod.Post, "/api/relations/US-BY/events") { Content = JsonContent.Create(Samples.Event("EnvoyVisited", "2025-09-11")) };
        emptyVersion.Headers.TryAddWithoutValidation("If-Match", "\"\"");
        foreach (var (request, field) in new[] { (disagreeing, "If-Match"), (twoKeys, "Idempotency-Key"), (emptyKey, "Idempotency-Key"), (emptyVersion, "If-Match") })
        {
            var response = await Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull((await ProblemOf(response))["errors"]![field]);
        }
        Assert.Equal(0, await App.EventCountAsync());
    }

    private static JsonObject WithExpectedVersion(JsonObject body, long version)
    {
        body["expectedVersion"] = version;
        return body;
    }

    [Fact]
    public async Task a_write_that_waits_past_the_command_timeout_for_its_streams_lock_is_a_503_and_the_next_one_records()
    {
        // the rebuild verb and a long transaction hold a pair's row: a write that gives up waiting failed before it
        // drew a sequence, and cleaning up after it threw in its turn (a 500)
        await Record("US-BY", Samples.Event("EmbassyClosed", "2022-02-28"));
        var impatient = new Npgsql.NpgsqlConnectionStringBuilder(App.ConnectionString) { CommandTimeout = 1 }.ConnectionString;
        await using var host = App.WithSettings(("ConnectionStrings:Ledger", impatient));
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", LedgerApp.ApiKey);
        await using (var holder = new Npgsql.NpgsqlConnection(App.ConnectionString))
        {
            await holder.OpenAsync(Ct);
            await using var transaction = await holder.BeginTransactionAsync(Ct);
            await new Npgsql.NpgsqlCommand("select 1 from ledger.mt_streams where id = 'BY-US' for update", holder, transaction).ExecuteNonQueryAsync(Ct);
            var waited = await client.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("EnvoyVisited", "2025-09-11"), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.StatusCode);
            await ProblemOf(waited);
        }
        var next = await client.PostAsJsonAsync("/api/relations/US-BY/events", Samples.Event("EnvoyVisited", "2025-09-11"), Ct);
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        Assert.Equal(2, await App.EventCountAsync());
    }
}
