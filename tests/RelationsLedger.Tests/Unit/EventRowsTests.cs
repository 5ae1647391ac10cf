using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Recording;
using RelationsLedger.Relations.Replaying;
using RelationsLedger.Tests.Support;

namespace RelationsLedger.Tests.Unit;

public sealed class EventRowsTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private static readonly JsonObject[] Fixed =
    [
        Samples.Event("EventCorrected", "2025-09-12", new JsonObject { ["correctsEventId"] = Guid.NewGuid().ToString(), ["patch"] = new JsonObject { ["summary"] = "x" }, ["reason"] = "r" }),
        Samples.Event("EventRetracted", "2025-09-12", new JsonObject { ["retractsEventId"] = Guid.NewGuid().ToString(), ["reason"] = "r" }),
        Samples.Event("SourceCited", "2025-09-12", new JsonObject { ["eventId"] = Guid.NewGuid().ToString(), ["source"] = new JsonObject { ["outlet"] = "Pozirk" }, ["stance"] = "disputes" }),
        // longer than the reader's first buffer
        Samples.Event("EnvoyVisited", "2025-09-11", summary: new string('Ж', 1999) + "."),
    ];

    /// <summary>The history cache reads events without what it does not keep; the reference is the whole event as the
    /// store reads it (Marten's serializer), leaned afterwards.</summary>
    [Fact]
    public void an_event_read_lean_is_the_whole_event_read_and_then_leaned()
    {
        // the store is only configured, never connected: its serializer and event types are what the rows need
        using var store = DocumentStore.For(o => LedgerStore.Configure(o, "Host=localhost;Database=unused"));
        var rows = EventRows.Of(store);
        var recordedAt = DateTimeOffset.UnixEpoch.AddDays(20_000);
        Gen.OneOf(GeneratedEvents.AnyFact, Gen.OneOf(Fixed)).Select(Gen.Int[0, 3]).Sample((body, related) =>
        {
            body = body.DeepClone().AsObject();
            if (related > 0) body["relatedEventIds"] = new JsonArray([.. Enumerable.Range(0, related).Select(_ => (JsonNode)Guid.NewGuid().ToString())]);
            var problems = new Problems();
            var e = SubmissionReader.Read(JsonSerializer.SerializeToElement(body), Today, problems)?.Event;
            Assert.True(e is not null, string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(" ", p.Value)}")));
            var (name, json) = (rows.TypeOf(e).EventTypeName, Encoding.UTF8.GetBytes(rows.Json.ToJson(e)));
            var whole = HistoryCache.Lean(rows.Read(name, new MemoryStream(json), 7, recordedAt, 3));
            // as PostgreSQL sends jsonb in binary: its format's version byte, then the text
            var lean = rows.ReadLean(name, new MemoryStream([1, .. json]), 7, recordedAt, 3);
            Assert.Equal((whole.Sequence, whole.Version, whole.RecordedAt, whole.Event.GetType()), (lean.Sequence, lean.Version, lean.RecordedAt, lean.Event.GetType()));
            Assert.Equal(JsonSerializer.Serialize(whole.Event, whole.Event.GetType(), LedgerJson.Options), JsonSerializer.Serialize(lean.Event, lean.Event.GetType(), LedgerJson.Options));
            Assert.Empty(lean.Event.Sources);
            Assert.Equal(e is DomainEvent fact && !RelationshipState.IsContact(fact) ? HistoryCache.NotKept : e.Summary, lean.Event.Summary);
        }, iter: 2000);
    }

    /// <summary>A search reads whole only the rows whose JSON may match: every event a word of its text finds must pass,
    /// its JSON written as PostgreSQL renders jsonb (UTF-8 as it is) or with \u escapes.</summary>
    [Fact]
    public void a_row_whose_text_a_screen_matches_always_passes_the_look_at_its_json()
    {
        using var store = DocumentStore.For(o => LedgerStore.Configure(o, "Host=localhost;Database=unused"));
        var rows = EventRows.Of(store);
        var raw = new JsonSerializerOptions(LedgerJson.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        GeneratedEvents.AnyFact.Sample(body =>
        {
            var e = SubmissionReader.Read(JsonSerializer.SerializeToElement(body), Today, new Problems())!.Event;
            var texts = WordScreen.TextOf(e).ToList();
            foreach (var json in new[] { rows.Json.ToJson(e), JsonSerializer.Serialize(e, e.GetType(), raw) })
                foreach (var word in texts.SelectMany(t => WordScreen.Fold(t).Split(' ', StringSplitOptions.RemoveEmptyEntries)).Append("zqxj"))
                {
                    var screen = WordScreen.Of(word)!;
                    if (screen.Matches(texts)) Assert.True(screen.MayMatch(Encoding.UTF8.GetBytes(json)), $"{word} in {json}");
                }
        }, iter: 1000);
        var belavia = Encoding.UTF8.GetBytes("""{"summary":"Belavia \"eased\"\nagain","sources":[{"outlet":"Reuters"}]}""");
        Assert.True(WordScreen.Of("BELAVIA again reuters")!.MayMatch(belavia));
        Assert.False(WordScreen.Of("belavia azot")!.MayMatch(belavia));
        Assert.True(WordScreen.Of("belavia azot", similar: true)!.MayMatch(belavia));
        Assert.True(WordScreen.Of("lukasenka")!.MayMatch(Encoding.UTF8.GetBytes("""{"summary":"Łukašenka"}""")));
        Assert.True(WordScreen.Of("lukasenka")!.MayMatch(Encoding.UTF8.GetBytes("""{"summary":"\u0141uka\u0161enka"}""")));
    }

    [Fact]
    public void provenance_is_told_from_facts_by_the_stored_type_name()
    {
        using var store = DocumentStore.For(o => LedgerStore.Configure(o, "Host=localhost;Database=unused"));
        var rows = EventRows.Of(store);
        var named = ((IDocumentStore)store).Options.Events.AllKnownEventTypes().Where(t => t.EventType.IsAssignableTo(typeof(LedgerEvent))).ToList();
        Assert.Equal(EventCatalog.All.Count(), named.Count);
        Assert.All(named, t => Assert.Equal(t.EventType.IsSubclassOf(typeof(ProvenanceEvent)), rows.IsProvenance(t.EventTypeName)));
        Assert.Equal(3, named.Count(t => rows.IsProvenance(t.EventTypeName)));
    }
}
