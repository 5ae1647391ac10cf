using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Unit;

public sealed class ValidationTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private static (Submission? Submission, Problems Problems) Read(JsonObject body)
    {
        var problems = new Problems();
        return (SubmissionReader.Read(JsonSerializer.SerializeToElement(body), Today, problems), problems);
    }

    [Theory]
    [MemberData(nameof(EveryType))]
    public void every_catalog_type_accepts_its_sample_and_keeps_its_data(string type)
    {
        var data = ProvenanceData(type) ?? Samples.Data[type];
        var (submission, problems) = Read(Samples.Event(type, "2025-09-11", data));
        Assert.Empty(problems);
        Assert.Equal(type, submission!.Event.GetType().Name);
        Assert.True(JsonNode.DeepEquals(data, EventCatalog.DataOf(submission.Event)), EventCatalog.DataOf(submission.Event).ToJsonString());
    }

    public static TheoryData<string> EveryType() => new(EventCatalog.ByName.Keys.Order());

    private static JsonObject? ProvenanceData(string type) => type switch
    {
        "EventCorrected" => new JsonObject { ["correctsEventId"] = Guid.NewGuid().ToString(), ["patch"] = new JsonObject { ["summary"] = "x" }, ["reason"] = "r" },
        "EventRetracted" => new JsonObject { ["retractsEventId"] = Guid.NewGuid().ToString(), ["reason"] = "r" },
        "SourceCited" => new JsonObject { ["eventId"] = Guid.NewGuid().ToString(), ["source"] = new JsonObject { ["outlet"] = "Pozirk" }, ["stance"] = "disputes" },
        _ => null,
    };

    [Fact]
    public void the_catalog_covers_the_issue_types_and_country_fields()
    {
        Assert.Equal(Samples.Data.Count + 3, EventCatalog.ByName.Count);
        var countryFields = EventCatalog.All.SelectMany(t => t.Fields).Where(f => f.Kind is FieldKind.Country or FieldKind.CountryList or FieldKind.CountryCounts).Select(f => f.Name).ToHashSet();
        Assert.Equal(
            new[] { "embassyOf", "expelledBy", "diplomatsOf", "ambassadorOf", "withdrawnBy", "envoyOf", "imposedBy", "easedBy", "liftedBy", "releasedBy", "onBehalfOf", "deniedBy", "observersOf", "parties", "transferredTo", "byNationality" }.Order(),
            countryFields.Order());
    }

    [Theory]
    [InlineData("2025-02-30", "occurredOn")]
    [InlineData("2025-13", "occurredOn")]
    [InlineData("25-01-01", "occurredOn")]
    [InlineData("1899-12-31", "occurredOn")]
    [InlineData("2030-01-01", "occurredOn")]
    public void impossible_or_out_of_range_dates_are_refused(string date, string field)
    {
        var (submission, problems) = Read(Samples.Event("EmbassyOpened", date));
        Assert.Null(submission);
        Assert.Contains(field, problems.Keys);
    }

    [Theory]
    [InlineData("2025", Precision.Year)]
    [InlineData("2025-09", Precision.Month)]
    [InlineData("2025-09-11", Precision.Day)]
    [InlineData("1900", Precision.Year)]
    [InlineData("1905-01", Precision.Month)]
    [InlineData("2006-06-09", Precision.Day)]
    [InlineData("2026-10-31", Precision.Day)]
    public void the_precision_of_occurredOn_is_kept(string date, Precision precision)
    {
        var (submission, _) = Read(Samples.Event("EmbassyOpened", date));
        Assert.Equal(precision, submission!.Event.OccurredOn.Precision);
        Assert.Equal(date, submission.Event.OccurredOn.ToString());
        Assert.Equal($"\"{date}\"", JsonSerializer.Serialize(submission.Event.OccurredOn, LedgerJson.Options));
    }

    [Fact]
    public void every_failing_field_is_reported_at_once()
    {
        var body = Samples.Event("EmbassyClosed", "2025-02-30", new JsonObject { ["embassyOf"] = "XX", ["city"] = "", ["mode"] = "bombed", ["colour"] = "red" });
        body["sources"] = new JsonArray(new JsonObject { ["title"] = "no outlet", ["url"] = "ftp://example.org/x" });
        body["extra"] = 1;
        var (submission, problems) = Read(body);
        Assert.Null(submission);
        Assert.Equal(
            new[] { "data.city", "data.colour", "data.embassyOf", "data.mode", "extra", "occurredOn", "sources[0].outlet", "sources[0].url" },
            problems.Keys.Order());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    public void an_event_needs_at_least_one_source(string sources)
    {
        var body = Samples.Event("EmbassyOpened", "2025-01-01");
        body["sources"] = JsonNode.Parse(sources);
        Assert.Contains("sources", Read(body).Problems.Keys);
    }

    [Theory]
    [InlineData("a\\u0000b")]
    [InlineData("\\ud800")]
    [InlineData("x\\udfff")]
    public void text_that_postgres_cannot_store_is_refused(string escaped) => Assert.Contains("summary", ReadSummary(escaped).Problems.Keys);

    /// <summary>A sample event whose summary is <paramref name="escaped"/> as written in JSON, read.</summary>
    private static (Submission? Submission, Problems Problems) ReadSummary(string escaped)
    {
        var json = Samples.Event("EmbassyOpened", "2025-01-01").ToJsonString().Replace("\"summary\":\"EmbassyOpened on 2025-01-01\"", $"\"summary\":\"{escaped}\"");
        var problems = new Problems();
        return (SubmissionReader.Read(JsonDocument.Parse(json).RootElement, Today, problems), problems);
    }

    [Theory]
    [InlineData("\\uD800", "data.city")]
    [InlineData("Mi\\uDBFFnsk", "data.city")]
    public void a_lone_surrogate_anywhere_is_found_and_named(string escaped, string field)
    {
        var json = Samples.Event("EmbassyClosed", "2025-01-01", new JsonObject { ["embassyOf"] = "US", ["city"] = "CITY", ["mode"] = "suspended" })
            .ToJsonString().Replace("CITY", escaped);
        var problems = new Problems();
        Assert.Null(SubmissionReader.Read(JsonDocument.Parse(json).RootElement, Today, problems));
        Assert.Equal([field], problems.Keys);
    }

    [Theory]
    [InlineData("\\ud83d\\ude00", "\U0001F600")]
    [InlineData("\\\\ud800", "\\ud800")]
    [InlineData("\\u00e9", "é")]
    public void escapes_that_make_readable_text_are_accepted(string escaped, string text)
    {
        var (submission, problems) = ReadSummary(escaped);
        Assert.Empty(problems);
        Assert.Equal(text, submission!.Event.Summary);
    }

    [Theory]
    [InlineData("\\u200b")]
    [InlineData("\\ufeff \\u2060")]
    [InlineData("\\uffff")]
    [InlineData("x\\ufdd0")]
    [InlineData("\\u3164\\u3164")]
    [InlineData("\\u2800 \\u115f\\u1160\\uffa0")]
    [InlineData("\\ufe0f\\u034f\\u180b")]
    public void text_that_shows_nothing_or_is_no_character_is_refused(string escaped)
    {
        var (submission, problems) = ReadSummary(escaped);
        Assert.Null(submission);
        Assert.Equal(["summary"], problems.Keys);
    }

    [Theory]
    [InlineData(" 01a211c7-3234-7c99-8c32-4a106c6b75b1")]
    [InlineData("01a211c7-3234-7c99-8c32-4a106c6b75b1\\n")]
    [InlineData("{01a211c7-3234-7c99-8c32-4a106c6b75b1}")]
    public void an_event_id_is_exactly_its_36_characters(string id)
    {
        var json = Samples.Event("EmbassyOpened", "2025-01-01").ToJsonString().TrimEnd('}') + $",\"eventId\":\"{id}\"}}";
        var problems = new Problems();
        Assert.Null(SubmissionReader.Read(JsonDocument.Parse(json).RootElement, Today, problems));
        Assert.Equal(["eventId"], problems.Keys);
    }

    [Fact]
    public void a_source_cannot_be_published_after_tomorrow()
    {
        JsonObject WithPublished(DateOnly date)
        {
            var body = Samples.Event("EmbassyOpened", "2025-01-01");
            body["sources"] = new JsonArray(new JsonObject { ["outlet"] = "BelTA", ["publishedOn"] = date.ToString("yyyy-MM-dd") });
            return body;
        }
        Assert.Empty(Read(WithPublished(Today.AddDays(1))).Problems);
        Assert.Equal(["sources[0].publishedOn"], Read(WithPublished(Today.AddDays(2))).Problems.Keys);
    }

    [Fact]
    public void a_name_given_twice_is_refused_where_events_are_parsed()
    {
        var json = Samples.Event("EmbassyOpened", "2025-01-01").ToJsonString().Replace("\"type\":\"EmbassyOpened\"", "\"type\":\"Bogus\",\"type\":\"EmbassyOpened\"");
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(json, LedgerJson.Submitted));
        var patch = "{\"summary\":\"one\",\"data\":{\"city\":\"a\",\"city\":\"b\"}}";
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(patch, LedgerJson.Submitted));
    }

    [Fact]
    public void bytes_that_are_not_utf8_are_refused_not_thrown()
    {
        var json = Encoding.UTF8.GetBytes(Samples.Event("EmbassyOpened", "2025-01-01").ToJsonString().Replace("EmbassyOpened on 2025-01-01", "BAD"));
        var at = json.AsSpan().IndexOf("BAD"u8);
        json[at] = 0xC3; json[at + 1] = 0x28; // a two-byte lead followed by a non-continuation byte
        var problems = new Problems();
        Assert.Null(SubmissionReader.Read(JsonDocument.Parse(json).RootElement, Today, problems));
        Assert.Contains("summary", problems.Keys);
    }

    [Fact]
    public void country_fields_accept_any_case_and_are_stored_upper_case_while_names_stay_free_text()
    {
        var (submission, problems) = Read(Samples.Event("EnvoyVisited", "2025-09-11",
            new JsonObject { ["envoy"] = "john coale", ["envoyOf"] = "us", ["city"] = "Minsk", ["metWith"] = new JsonArray("lukashenko") }));
        Assert.Empty(problems);
        var visit = (EnvoyVisited)submission!.Event;
        Assert.Equal(("US", "john coale"), (visit.EnvoyOf, visit.Envoy));
    }

    [Fact]
    public void a_breakdown_by_country_names_each_country_once_and_adds_up_to_no_more_than_its_count()
    {
        JsonObject Released(int count, string counts) => Samples.Event("PrisonersReleased", "2025-09-11",
            new JsonObject { ["releasedBy"] = "BY", ["count"] = count, ["byNationality"] = JsonNode.Parse(counts) });
        // one country in two cases was kept once, the other number lost
        Assert.Equal(["data.byNationality.fr"], Read(Released(2, """{"FR":1,"fr":1}""")).Problems.Keys);
        Assert.Equal(["data.byNationality"], Read(Released(2, """{"FR":2,"DE":1}""")).Problems.Keys);
        Assert.Contains("add up to 3, more than count (2)", Read(Released(2, """{"FR":2,"DE":1}""")).Problems["data.byNationality"][0]);
        var (submission, problems) = Read(Released(3, """{"fr":2,"DE":1}"""));
        Assert.Empty(problems);
        Assert.Equal(new Dictionary<string, int> { ["FR"] = 2, ["DE"] = 1 }, ((PrisonersReleased)submission!.Event).ByNationality);
        Assert.Empty(Read(Released(52, """{"BY":38,"LT":6}""")).Problems);
    }

    [Fact]
    public void events_as_a_ledger_recorded_them_are_read_without_the_rules_added_since_so_an_export_restores_and_a_stored_correction_applies()
    {
        static (Submission? Submission, Problems Problems) AsRecorded(JsonObject body)
        {
            var problems = new Problems();
            return (SubmissionReader.Read(JsonSerializer.SerializeToElement(body), Today, problems, asRecorded: true), problems);
        }
        var release = Samples.Event("PrisonersReleased", "2025-09-11", new JsonObject { ["releasedBy"] = "BY", ["count"] = 2, ["byNationality"] = new JsonObject { ["FR"] = 2, ["DE"] = 1 } });
        var related = Guid.NewGuid().ToString();
        release["relatedEventIds"] = new JsonArray(related, related);
        Assert.Equal(["data.byNationality", "relatedEventIds[1]"], Read(release).Problems.Keys.Order());
        Assert.Empty(AsRecorded(release).Problems);
        var empty = Samples.Event("EventCorrected", "2025-09-12", new JsonObject { ["correctsEventId"] = related, ["patch"] = new JsonObject(), ["reason"] = "r" });
        Assert.Empty(AsRecorded(empty).Problems);
        // a patch names a country in any case, as a submission does
        var spain = (PrisonersReleased)Read(Samples.Event("PrisonersReleased", "2025-09-11",
            new JsonObject { ["releasedBy"] = "BY", ["count"] = 9, ["byNationality"] = new JsonObject { ["ES"] = 3 } })).Submission!.Event;
        var corrected = (PrisonersReleased)Provenance.Apply(spain, JsonNode.Parse("""{"data":{"byNationality":{"es":5}}}""")!.AsObject())!;
        Assert.Equal(new Dictionary<string, int> { ["ES"] = 5 }, corrected.ByNationality);
        // a correction recorded before the breakdown's rule, taking the count below it, applies as it did then
        var lower = JsonNode.Parse("""{"data":{"count":2}}""")!.AsObject();
        Assert.Equal(2, ((PrisonersReleased)Provenance.Apply(spain, lower)!).Count);
        var problems = new Problems();
        Assert.Null(SubmissionReader.Revise(spain, lower, Today, problems, ""));
        Assert.Equal(["patch.data.byNationality"], problems.Keys);
    }

    [Fact]
    public void a_name_a_title_or_a_place_is_one_line_while_a_summary_a_gist_or_a_reason_may_run_over_lines()
    {
        JsonObject Sanction(string target) => Samples.Event("SanctionsImposed", "2024-03-01", new JsonObject
        {
            ["imposedBy"] = "EE", ["authority"] = "A", ["target"] = target, ["targetKind"] = "entity", ["measures"] = new JsonArray("m"), ["program"] = "P",
        });
        foreach (var broken in new[] { "a\tb", "a\nb", "a\rb", "a\u2028b", "a\u2029b" })
        {
            var (_, problems) = Read(Sanction(broken));
            Assert.Equal(["data.target"], problems.Keys);
            Assert.Contains("one line", problems["data.target"][0]);
        }
        var measures = Sanction("Belavia");
        measures["data"]!["measures"] = new JsonArray("m", "flights\nbanned");
        Assert.Equal(["data.measures[1]"], Read(measures).Problems.Keys);
        var outlet = Sanction("Belavia");
        outlet["sources"] = new JsonArray(new JsonObject { ["outlet"] = "U.S.\tTreasury", ["title"] = "a\nb" });
        Assert.Equal(["sources[0].outlet", "sources[0].title"], Read(outlet).Problems.Keys.Order());
        // prose keeps its lines
        Assert.Empty(Read(Samples.Event("StatementMade", "2025-09-11", new JsonObject { ["by"] = "US", ["gist"] = "first\nsecond\tthird" }, summary: "one\r\ntwo")).Problems);
        Assert.Empty(Read(Samples.Event("EmbassyClosed", "2022-02-28", new JsonObject { ["embassyOf"] = "US", ["city"] = "Minsk", ["mode"] = "suspended", ["reason"] = "war\nsecurity" })).Problems);
        // an event recorded before the rule reads as it was recorded
        var problemsAsRecorded = new Problems();
        Assert.NotNull(SubmissionReader.Read(JsonSerializer.SerializeToElement(outlet), Today, problemsAsRecorded, asRecorded: true));
        var blank = Samples.Event("StatementMade", "2025-09-11", summary: "\u3164");
        Assert.Equal(["summary"], Read(blank).Problems.Keys);
        Assert.NotNull(SubmissionReader.Read(JsonSerializer.SerializeToElement(blank), Today, problemsAsRecorded, asRecorded: true));
        Assert.Empty(problemsAsRecorded);
    }

    [Fact]
    public void one_line_text_keeps_one_space_between_words_and_none_at_its_ends_while_prose_and_recorded_text_keep_theirs()
    {
        var sanction = Samples.Event("SanctionsImposed", "2024-03-01", new JsonObject
        {
            ["imposedBy"] = "EE", ["authority"] = "A", ["target"] = " Belavia\u00A0 Airlines\u3000", ["targetKind"] = "entity",
            ["measures"] = new JsonArray("flights  banned", "assets frozen"), ["program"] = "P",
        }, summary: "two  spaces, kept");
        sanction["sources"] = new JsonArray(new JsonObject { ["outlet"] = "U.S.  Treasury" });
        var read = (SanctionsImposed)Read(sanction).Submission!.Event;
        Assert.Equal(("Belavia Airlines", "flights banned", "assets frozen", "U.S. Treasury", "two  spaces, kept"),
            (read.Target, read.Measures[0], read.Measures[1], read.Sources[0].Outlet, read.Summary));
        // a plain "Belavia Airlines" is the same register row, not a second one
        Assert.Single(RelationshipState.Fold([new RecordedEvent(read, 1, DateTimeOffset.UnixEpoch),
            new RecordedEvent((SanctionsImposed)Read(Samples.Event("SanctionsImposed", "2024-04-01", new JsonObject
            {
                ["imposedBy"] = "EE", ["authority"] = "A", ["target"] = "Belavia Airlines", ["targetKind"] = "entity", ["measures"] = new JsonArray("m"), ["program"] = "P",
            })).Submission!.Event, 2, DateTimeOffset.UnixEpoch)], DateOnly.MaxValue).Sanctions);
        var problems = new Problems();
        var recorded = (SanctionsImposed)SubmissionReader.Read(JsonSerializer.SerializeToElement(sanction), Today, problems, asRecorded: true)!.Event;
        Assert.Equal(" Belavia\u00A0 Airlines\u3000", recorded.Target);
        Assert.Same("Belavia", SubmissionReader.Spaced("Belavia"));

        // a correction's patch is stored spaced too: the fold applies it as recorded
        var correction = (EventCorrected)Read(Samples.Correction(read.Id, new JsonObject
        {
            ["data"] = new JsonObject { ["target"] = "Belavia  Airlines ", ["measures"] = new JsonArray(" m  n", "o"), ["program"] = "a\tb" },
        })).Submission!.Event;
        Assert.Equal("""{"data":{"target":"Belavia Airlines","measures":["m n","o"],"program":"a\tb"}}""", correction.Patch.ToJsonString());
        var withTab = new Problems();
        SubmissionReader.Revise(read, correction.Patch, Today, withTab, "");
        Assert.Equal(["patch.data.program"], withTab.Keys);
        var gist = (EventCorrected)Read(Samples.Correction(read.Id, new JsonObject { ["data"] = new JsonObject { ["gist"] = "two  spaces" } })).Submission!.Event;
        Assert.Equal("two  spaces", (string)gist.Patch["data"]!["gist"]!);
    }

    [Fact]
    public void a_correction_that_leaves_the_fact_as_it_reads_is_refused_unless_already_recorded()
    {
        var release = (PrisonersReleased)Read(Samples.Event("PrisonersReleased", "2025-09-11",
            new JsonObject { ["releasedBy"] = "BY", ["count"] = 9, ["byNationality"] = new JsonObject { ["ES"] = 3 } }, summary: "Nine freed")).Submission!.Event;
        foreach (var patch in new[] { """{"data":{}}""", """{"summary":"Nine freed"}""", """{"occurredOn":"2025-09-11","data":{"count":9,"byNationality":{"es":3}}}""" })
        {
            var problems = new Problems();
            Assert.Null(SubmissionReader.Revise(release, JsonNode.Parse(patch)!.AsObject(), Today, problems, "data"));
            Assert.Equal(["data.patch"], problems.Keys);
            Assert.NotNull(SubmissionReader.Revise(release, JsonNode.Parse(patch)!.AsObject(), Today, new Problems(), "data", asRecorded: true));
        }
        Assert.Equal(8, ((PrisonersReleased)SubmissionReader.Revise(release, JsonNode.Parse("""{"data":{"count":8}}""")!.AsObject(), Today, new Problems(), "data")!).Count);
    }

    [Fact]
    public void a_correction_of_a_fact_recorded_before_a_rule_is_held_only_to_what_it_changes()
    {
        // recorded (restored as recorded) with a tab in its target and a summary of a Hangul filler, before those rules
        var legacy = Samples.Event("SanctionsImposed", "2024-03-01", new JsonObject
        {
            ["imposedBy"] = "EE", ["authority"] = "A", ["target"] = "Belavia\tAirlines", ["targetKind"] = "entity", ["measures"] = new JsonArray("m"), ["program"] = "P",
        }, summary: "\u3164");
        var problems = new Problems();
        var fact = SubmissionReader.Read(JsonSerializer.SerializeToElement(legacy), Today, problems, asRecorded: true)!.Event;
        Assert.Empty(problems);
        var program = (SanctionsImposed)SubmissionReader.Revise(fact, JsonNode.Parse("""{"data":{"program":"EO 14038"}}""")!.AsObject(), Today, problems, "data")!;
        Assert.Empty(problems);
        Assert.Equal(("EO 14038", "Belavia\tAirlines"), (program.Program, program.Target));
        // what the patch itself brings is held to every rule, in a field that broke it already too
        foreach (var (patch, key) in new[]
                 {
                     ("""{"data":{"authority":"A\tB"}}""", "data.patch.data.authority"),
                     ("""{"data":{"target":"New\tTarget"}}""", "data.patch.data.target"),
                     ("""{"summary":"\u3164\u3164"}""", "data.patch.summary"),
                 })
        {
            problems = new Problems();
            Assert.Null(SubmissionReader.Revise(fact, JsonNode.Parse(patch)!.AsObject(), Today, problems, "data"));
            Assert.Equal([key], problems.Keys);
        }
    }

    [Fact]
    public void text_that_is_not_utf8_is_named_so_and_an_escaped_lone_surrogate_is_named_so()
    {
        var body = Encoding.UTF8.GetBytes(Samples.Event("StatementMade", "2025-02-03", summary: "bad XX utf8").ToJsonString());
        var at = body.AsSpan().IndexOf("XX"u8);
        body[at] = 0xFF;
        body[at + 1] = (byte)'!';
        var problems = new Problems();
        Assert.Null(SubmissionReader.Read(JsonDocument.Parse(body).RootElement, Today, problems));
        Assert.Equal("Not UTF-8 text.", Assert.Single(problems["summary"]));
        problems = new Problems();
        Assert.Null(SubmissionReader.Read(JsonDocument.Parse(Samples.Event("StatementMade", "2025-02-03", summary: "x").ToJsonString().Replace("\"x\"", "\"\\ud800\"")).RootElement, Today, problems));
        Assert.Contains("surrogate", Assert.Single(problems["summary"]));
    }

    [Fact]
    public void a_text_limit_counts_characters_not_utf16_units()
    {
        static JsonObject Summary(string text) => Samples.Event("EnvoyVisited", "2025-09-11", summary: text);
        Assert.Empty(Read(Summary(string.Concat(Enumerable.Repeat("🕊", SubmissionReader.MaxSummary)))).Problems);
        Assert.Equal(["summary"], Read(Summary(string.Concat(Enumerable.Repeat("🕊", SubmissionReader.MaxSummary + 1)))).Problems.Keys);
        Assert.Equal(["summary"], Read(Summary(new string('a', SubmissionReader.MaxSummary + 1))).Problems.Keys);
    }

    [Fact]
    public void a_correction_with_an_empty_patch_or_an_event_related_twice_is_refused()
    {
        var target = Guid.NewGuid().ToString();
        var empty = Samples.Event("EventCorrected", "2025-09-12", new JsonObject { ["correctsEventId"] = target, ["patch"] = new JsonObject(), ["reason"] = "r" });
        Assert.Equal(["data.patch"], Read(empty).Problems.Keys);
        var twice = Samples.Event("EnvoyVisited", "2025-09-11");
        twice["relatedEventIds"] = new JsonArray(target, Guid.NewGuid().ToString(), target.ToUpperInvariant());
        Assert.Equal(["relatedEventIds[2]"], Read(twice).Problems.Keys);
    }

    [Fact]
    public void a_correction_patch_is_applied_as_json_merge_patch()
    {
        var target = JsonNode.Parse("""{"a":"b","c":{"d":"e","f":"g"}}""");
        var patch = JsonNode.Parse("""{"a":"z","c":{"f":null}}""");
        Assert.Equal("""{"a":"z","c":{"d":"e"}}""", LedgerJson.MergePatch(target, patch)!.ToJsonString());
    }

    [Theory]
    [InlineData("US-BY", "BY-US")]
    [InlineData("by-us", "BY-US")]
    [InlineData("Lt-By", "BY-LT")]
    public void a_pair_is_named_upper_case_in_alphabetical_order(string text, string id)
    {
        Assert.True(Pair.TryParse(text, out var pair));
        Assert.Equal(id, pair.Id);
    }

    /// <summary>The reader builds the typed event through its record's constructor; the reference is the event as the
    /// store reads it back, deserialized from the same (valid, already normalized) JSON.</summary>
    [Fact]
    public void a_valid_submission_reads_as_its_json_deserializes()
    {
        GeneratedEvents.AnyFact.Sample(body =>
        {
            var (submission, problems) = Read(body);
            Assert.Empty(problems);
            var read = submission!.Event;
            // one-line text reads with one space between words and none at its ends
            var recorded = GeneratedEvents.AsRecorded(body);
            var expected = EventCatalog.Create(EventCatalog.ByName[(string)body["type"]!], recorded["data"]!.AsObject(), read.Id,
                Occurrence.Parse((string)body["occurredOn"]!), (string)body["summary"]!, recorded["sources"].Deserialize<List<Source>>(LedgerJson.Options)!, []);
            Assert.Equal(expected.GetType(), read.GetType());
            Assert.Equal(JsonSerializer.Serialize(expected, expected.GetType(), LedgerJson.Options), JsonSerializer.Serialize(read, read.GetType(), LedgerJson.Options));
        }, iter: 3000);
    }

    /// <summary>Plain dates are parsed without the culture-aware parser; the reference is that parser, for well-formed and
    /// malformed text alike.</summary>
    [Fact]
    public void occurrences_parse_as_the_invariant_date_parser_parses_them()
    {
        static Occurrence? Reference(string text)
        {
            var (format, precision) = text.Length switch { 4 => ("yyyy", Precision.Year), 7 => ("yyyy-MM", Precision.Month), 10 => ("yyyy-MM-dd", Precision.Day), _ => ("", Precision.Day) };
            return format != "" && DateOnly.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start) ? new Occurrence(start, precision) : null;
        }
        var shaped = Gen.Select(Gen.Int[0, 10_000], Gen.Int[0, 13], Gen.Int[0, 32], Gen.Int[4, 10])
            .Select((y, m, d, length) => $"{y:D4}-{m:D2}-{d:D2}"[..length]);
        var any = Gen.String[Gen.Char["0123456789-- +x٣"], 0, 11];
        Gen.OneOf(shaped, any).Sample(text =>
        {
            var parsed = Occurrence.TryParse(text, out var occurrence) ? occurrence : (Occurrence?)null;
            Assert.Equal(Reference(text), parsed);
        }, iter: 50_000);
    }

    [Theory]
    [InlineData("{\"a\": 1,\n  \"b\" 2}", true, "(at line 2, byte 7).")]
    [InlineData("not json", false, "(at byte 2).")]
    [InlineData("{\"a\":", true, "(at line 1, byte 6).")]
    public void malformed_json_says_where_it_broke_counted_from_one(string json, bool withLine, string where)
    {
        var ex = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(json));
        var message = LedgerJson.Malformed(ex, withLine);
        Assert.EndsWith(where, message);
        Assert.DoesNotContain("LineNumber", message);
        Assert.DoesNotContain("BytePositionInLine", message);
    }
}
