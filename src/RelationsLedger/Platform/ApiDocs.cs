using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using RelationsLedger.Relations;
using Scalar.AspNetCore;

namespace RelationsLedger.Platform;

/// <summary>The OpenAPI document (/openapi/v1.json) and its interactive reference (/docs). The event envelope and every
/// type's data schema are generated from the catalog, so the documentation cannot drift from what is validated.</summary>
public static class ApiDocs
{
    /// <param name="Answer">what a success answers</param>
    /// <param name="Formats">its media types (JSON first)</param>
    /// <param name="Cached">an ETag, and 304 on If-None-Match</param>
    private sealed record Operation(string Summary, string Description, string Answer, string[] Formats, bool Cached = false, string? Body = null, params int[] Problems);

    private static readonly string[] Json = ["application/json"];

    private static readonly Dictionary<string, Operation> Operations = new()
    {
        ["POST /api/relations/{pair}/events"] = new("Record an event",
            "Appends one event to the pair's stream (pair: two ISO alpha-2 codes, either order). Optional `eventId` or " +
            "`Idempotency-Key` header make retries safe; optional `expectedVersion` or `If-Match` is the stream version " +
            "last seen.", "Recorded: `{eventId, pair, version, sequence, recordedAt}`, the event's URL in Location.", Json, false, "EventEnvelope", 400, 401, 403, 409, 413, 415),
        ["POST /api/relations/{pair}/events/batch"] = new("Record events atomically",
            "Appends an array of events: all or nothing. Errors are keyed `[i].field`.", "Recorded: `{events:[{eventId, pair, version, sequence, recordedAt}]}`.", Json, false, "EventBatch", 400, 401, 403, 409, 413, 415),
        ["GET /api/relations/{pair}/state"] = new("State as of a date, as known at an instant",
            "`asOf` (YYYY-MM-DD, default today), `knownAt` (ISO instant, default now) or `basis` (a sequence) pins what was known.",
            "`{pair, asOf, knownAt, basis:{sequence, recordedAt, version}, embassies, ambassadors, sanctions, prisonersReleased, lastContact, eventCount, lastEventOn}`; pinned by `asOf` and `basis`, immutable.", Json, true, null, 400),
        ["GET /api/relations/{pair}/timeline"] = new("Timeline of a pair",
            "Events in date order with corrections applied and corrected/disputed/retracted flags; `q` (every word in the summary, data or sources, any order, case and accent, Cyrillic as Latin; `match=similar` for other spellings too), `from`, `to`, `types` " +
            "(comma-separated fact types: provenance types are applied to the facts they name, not listed), `knownAt`/`basis`, `includeRetracted`, `limit` (≤ 10000), `next` link for paging; `format=csv` downloads the page (the next page in a `Link: <…>; rel=\"next\"` header).",
            "`{pair, events:[{eventId, type, occurredOn, summary, data, sources, relatedEventIds, sequence, recordedAt, recordedBy, corrected, disputed, retracted}], next}`, or the page as CSV.", [.. Json, "text/csv"], true, null, 400),
        ["GET /api/relations/{pair}/diff"] = new("What changed between two dates",
            "Two folds and a comparison: each change names the events that caused it.", "`{pair, from, to, basis, changes:[{section, key, kind, before, after, eventIds}]}`: each change with the events that caused it.", Json, true, null, 400),
        ["GET /api/relations/{pair}/series"] = new("Chart series", "Sanctions by status and cumulative prisoners per date; contacts per year; `knownAt`/`basis` as for the state.",
            "`{pair, points:[{date, sanctions:{active, eased, lifted, expired}, prisonersReleased}], contactsPerYear}`, from the fold.", Json, true, null, 400),
        ["GET /api/relations/{pair}/live"] = new("Live updates", "Server-sent events: `appended` (`{pair, sequence, eventId}`) when the pair's stream grows; a comment line after 15 s of quiet (`Ledger:Live:HeartbeatSeconds`). " +
            "By default at most 32 streams at once per key (per address without one) and 1000 in all (`Ledger:Live:MaxStreamsPerClient`, `Ledger:Live:MaxStreams`).",
            "A stream of server-sent events, open until the client leaves or the app stops (`retry` tells the client when to connect again).", ["text/event-stream"], false, null, 400, 503),
        ["GET /api/relations"] = new("Pairs", "Every pair with event counts and first/last event dates.", "`{relations:[{pair, eventCount, firstEventOn, lastEventOn, sequence}]}`.", Json),
        ["GET /api/events"] = new("The log: every event as recorded",
            "Facts, corrections, citations and retractions across pairs in recorded order, in the `export` verb's shape. Oldest first after the sequence `after` " +
            "(`next` is always where to ask again: poll it to follow the ledger), or `order=desc` newest first below `before`; only up to `settled`, below which no event " +
            "can still appear. `pair`, `types` (provenance too) and `recordedBy` narrow it; `limit` ≤ 1000; `format=ndjson` answers lines `import --as-recorded` restores.",
            "`{order, after, before, settled, events:[{pair, eventId, type, occurredOn, summary, data, sources, relatedEventIds, recorded:{sequence, version, at, by}}], next}`, or the events as NDJSON lines (the next page in a Link header).",
            [.. Json, "application/x-ndjson"], true, null, 400),
        ["GET /api/events/{id}"] = new("An event with its provenance",
            "The event as now corrected, its sources with stances, its corrections with recorded times; retracted events still answer.",
            "`{eventId, pair, type, occurredOn, summary, data, sources, relatedEventIds, sequence, recordedAt, recordedBy, corrected, disputed, retracted, retractionReason, retractedBy, retraction, corrections, original}`: the event as now corrected, and who recorded it and each revision.", Json, false, null, 404),
        ["GET /api/sanctions"] = new("Sanctions register", "All measures across pairs at `asOf`, as known at `knownAt` or `basis` (one sequence pins every pair), filtered by `imposedBy`, `status` and `target` (every word in a target's name or id, any order, case and accent, Cyrillic as Latin: screen a name; `match=similar` finds other spellings too: transliterations, a letter or two apart); `format=csv` downloads.",
            "`{asOf, knownAt|basis, imposedBy?, status?, target?, match?, sanctions:[{pair, imposedBy, target, targetId, program, status, since, measures, easedScope, authority, targetKind, eventIds, matched?}]}`, or the register as CSV.", [.. Json, "text/csv"], true, null, 400),
        ["GET /api/catalog"] = new("Event catalog", "Every event type and its data fields.", "`{types:[{name, provenance, fields:[{name, kind, required, choices}]}]}`.", Json),
        ["GET /api/status"] = new("Ledger health", "Event counts, last append, projection positions and lag.", "`{events, pairs, lastAppend:{sequence, recordedAt, pair}, highWaterMark, lagSeconds, projections:[{name, sequence, lag}], node}`: `events` counts every record, facts and provenance.", Json),
    };

    public static IServiceCollection AddLedgerApiDocs(this IServiceCollection services)
    {
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "RelationsLedger API",
                    Version = "v1",
                    Description = "An event-sourced, bitemporal ledger of relations between countries. Writes need the `X-Api-Key` header. " +
                                  "Every error is RFC 7807 ProblemDetails with a `traceId`. [Back to the dashboards](/)",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                foreach (var (name, schema) in CatalogSchemas(document)) document.Components.Schemas[name] = schema;
                // the endpoints' return type, which says nothing of what they answer (each operation says it, below)
                document.Components.Schemas.Remove("IResult");
                // the generator lists each handler's class as a tag too (RelationsLedger.Relations.Replaying.GetState…),
                // which the docs page showed as empty groups above the operations' own
                document.Tags = Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }).ToHashSet();
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var key = $"{context.Description.HttpMethod} /{context.Description.RelativePath?.Split('?')[0]}";
                if (!Operations.TryGetValue(key, out var doc)) return Task.CompletedTask;
                operation.Summary = doc.Summary;
                operation.Tags = new HashSet<OpenApiTagReference> { new(Tag(key), context.Document) };
                operation.Description = doc.Description;
                operation.OperationId = doc.Summary.Replace(" ", "").Replace(",", "");
                if (doc.Body is { } body)
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Schema = new OpenApiSchemaReference(body, context.Document) },
                        },
                    };
                // what the endpoints answer, in place of what the generator guessed from their signatures (an IResult
                // schema, and a 404 and 409 on every read)
                operation.Responses = new OpenApiResponses
                {
                    [doc.Body is null ? "200" : "201"] = new OpenApiResponse
                    {
                        Description = doc.Answer,
                        Content = doc.Formats.ToDictionary(f => f, _ => new OpenApiMediaType()),
                    },
                };
                if (doc.Cached)
                    operation.Responses["304"] = new OpenApiResponse { Description = "Not modified: the If-None-Match header holds the answer's current ETag." };
                foreach (var status in doc.Problems.Append(429))
                    operation.Responses[status.ToString()] = new OpenApiResponse
                    {
                        Description = status switch
                        {
                            400 => "Invalid input: every failing field is listed in `errors`; nothing was appended.",
                            401 => "No API key.", 403 => "Wrong API key.", 404 => "Not found.",
                            409 => "Conflict: stale expected version, or an event id reused with another body.",
                            413 => "Body over 256 KiB.", 415 => "Not application/json.", 429 => "Rate limit; see Retry-After.",
                            503 => "Too many open at once; see Retry-After.",
                            _ => "Problem.",
                        },
                        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
                    };
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static WebApplication MapLedgerApiDocs(this WebApplication app)
    {
        app.MapOpenApi();
        // Scalar's own page has an inline script; /docs is a page of ours that loads Scalar's assets from /scalar.
        app.MapScalarApiReference("/scalar", options => options.WithTitle("RelationsLedger API"));
        return app;
    }

    private static IEnumerable<(string, IOpenApiSchema)> CatalogSchemas(OpenApiDocument document)
    {
        yield return ("Source", new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "outlet" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["outlet"] = Text("Who published it."), ["title"] = Text(null), ["url"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
                ["publishedOn"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" },
            },
        });
        var dataSchemas = new List<IOpenApiSchema>();
        foreach (var type in EventCatalog.All)
        {
            var schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Title = type.Name,
                Description = $"`data` of {type.Name}{(type.IsProvenance ? " (provenance: about another event)" : "")}.",
                AdditionalPropertiesAllowed = false,
                Required = type.Fields.Where(f => f.Required).Select(f => f.Name).ToHashSet(),
                Properties = type.Fields.ToDictionary(f => f.Name, f => Field(f, document)),
                Examples = [EventExamples.Data[type.Name].DeepClone()],
            };
            yield return ($"{type.Name}Data", schema);
            dataSchemas.Add(new OpenApiSchemaReference($"{type.Name}Data", document));
        }
        var envelope = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "One event. `type` names the catalog type; `data` follows that type's schema (unknown fields are refused).",
            Required = new HashSet<string> { "type", "occurredOn", "summary", "data", "sources" },
            AdditionalPropertiesAllowed = false,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = EventCatalog.All.Select(t => (JsonNode)JsonValue.Create(t.Name)!).ToList() },
                ["occurredOn"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = @"^\d{4}(-\d{2}(-\d{2})?)?$", Description = "YYYY-MM-DD, YYYY-MM or YYYY; the precision is kept." },
                ["summary"] = Text("What happened, in a sentence."),
                ["data"] = new OpenApiSchema { OneOf = dataSchemas },
                ["sources"] = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = new OpenApiSchemaReference("Source", document) },
                ["relatedEventIds"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" } },
                ["eventId"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", Description = "Optional client id: a retry with the same id and body answers the original 201." },
                ["expectedVersion"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Description = "The stream version last seen; 409 if it moved on." },
            },
            Examples =
            [
                new JsonObject
                {
                    ["type"] = "EmbassyClosed", ["occurredOn"] = "2022-02-28", ["summary"] = "The US suspends operations of its embassy in Minsk.",
                    ["data"] = EventExamples.Data["EmbassyClosed"].DeepClone(),
                    ["sources"] = new JsonArray(new JsonObject { ["outlet"] = "U.S. Department of State", ["url"] = "https://www.state.gov/", ["publishedOn"] = "2022-02-28" }),
                },
            ],
        };
        yield return ("EventEnvelope", envelope);
        yield return ("EventBatch", new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = 1000, Items = new OpenApiSchemaReference("EventEnvelope", document) });
    }

    private static readonly (string Name, string Description)[] Tags =
    [
        ("The ledger", "The pairs, the event catalog, the log of everything recorded and the ledger's health."),
        ("Recording events", "Appending facts, corrections and retractions, one or a batch at a time."),
        ("Replaying history", "A pair's state, timeline, changes and chart series as of a date, as known at an instant; an event with its provenance."),
        ("Sanctions", "The register of measures across pairs."),
    ];

    private static string Tag(string operation) => operation switch
    {
        _ when operation.Contains("/events") && operation.StartsWith("POST") => "Recording events",
        _ when operation.Contains("/sanctions") => "Sanctions",
        _ when operation.Contains("{pair}") || operation.Contains("/api/events/") => "Replaying history",
        _ => "The ledger",
    };

    private static OpenApiSchema Text(string? description) => new() { Type = JsonSchemaType.String, MinLength = 1, Description = description };

    private static IOpenApiSchema Field(FieldSpec field, OpenApiDocument document) => field.Kind switch
    {
        FieldKind.Text => Text(null),
        FieldKind.Country => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[A-Za-z]{2}$", Description = "ISO 3166-1 alpha-2" },
        FieldKind.TextList => new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = Text(null) },
        FieldKind.CountryList => new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[A-Za-z]{2}$" } },
        FieldKind.Count => new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
        FieldKind.CountryCounts => new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" }, Description = "ISO alpha-2 → number" },
        FieldKind.Choice => new OpenApiSchema { Type = JsonSchemaType.String, Enum = field.Choices.Select(c => (JsonNode)JsonValue.Create(c)!).ToList() },
        FieldKind.EventRef => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        FieldKind.Patch => new OpenApiSchema { Type = JsonSchemaType.Object, Description = "JSON Merge Patch (RFC 7396) of {occurredOn, summary, data}" },
        FieldKind.Source => new OpenApiSchemaReference("Source", document),
        _ => new OpenApiSchema(),
    };
}
