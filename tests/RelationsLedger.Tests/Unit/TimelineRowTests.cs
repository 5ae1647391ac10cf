using System.Text.Json;
using System.Text.Json.Nodes;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;
using RelationsLedger.Relations.Replaying;

namespace RelationsLedger.Tests.Unit;

public sealed class TimelineRowTests
{
    private static IEnumerable<DomainEvent> OneOfEachFact()
    {
        var facts = EventCatalog.All.Where(t => typeof(DomainEvent).IsAssignableFrom(t.ClrType)).ToList();
        Assert.True(facts.Count > 20);
        return facts.Select(type => (DomainEvent)EventCatalog.Create(
            type, EventExamples.Data[type.Name], Guid.NewGuid(), Occurrence.Parse("2025-09-11"), "summary", [new Source("Reuters")], []));
    }

    private static readonly DateTimeOffset Recorded = new(2025, 9, 12, 8, 30, 0, TimeSpan.Zero);

    private static string Json(object value) => JsonSerializer.Serialize(value, LedgerJson.Options);

    [Fact]
    public void a_row_of_an_uncorrected_fact_keeps_no_body_and_shows_the_stored_events()
    {
        foreach (var e in OneOfEachFact())
        {
            var stored = new RecordedEvent(e, 7, Recorded);
            var row = TimelineEntry.Of("BY-US", Provenance.Resolve([stored]).Single());
            var json = JsonNode.Parse(Json(row))!.AsObject();
            Assert.Equal(["id", "pair", "type", "effective", "sequence", "corrected", "disputed", "retracted"], json.Select(p => p.Key));
            var back = JsonSerializer.Deserialize<TimelineEntry>(Json(row), LedgerJson.Options)!;
            Assert.False(back.HasBody);
            Assert.Equal(Json(TimelineItem.Of(Provenance.Resolve([stored]).Single(), "seed")), Json(TimelineItem.Of(back, stored, "seed")));
            Assert.Throws<InvalidOperationException>(() => TimelineItem.Of(back, null, "seed"));
        }
    }

    [Fact]
    public void a_row_of_a_corrected_fact_keeps_the_body_as_corrected_and_reads_it_back_without_the_stored_event()
    {
        foreach (var e in OneOfEachFact())
        {
            var correction = new EventCorrected(e.Id, new JsonObject { ["summary"] = "reworded", ["occurredOn"] = "2025-09" }, "wording") { Id = Guid.NewGuid() };
            var stored = new RecordedEvent(e, 7, Recorded);
            var resolved = Provenance.Resolve([stored, new RecordedEvent(correction, 9, Recorded.AddDays(1))]).Single();
            var row = TimelineEntry.Of("BY-US", resolved);
            Assert.True(row.HasBody);
            Assert.Equal(new DateOnly(2025, 9, 1), row.Effective);
            var back = JsonSerializer.Deserialize<TimelineEntry>(Json(row), LedgerJson.Options)!;
            Assert.Equal(Json(row), Json(back));
            // the stored event gives the recorded time only: the body is the row's
            var item = TimelineItem.Of(back, stored, null);
            Assert.Equal(Json(TimelineItem.Of(resolved, null)), Json(item));
            Assert.Equal((7, Recorded), (item.Sequence, item.RecordedAt));
            Assert.Equal(("reworded", "2025-09"), (item.Summary, item.OccurredOn.ToString()));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(EventCatalog.DataElementOf(e).GetRawText()), JsonNode.Parse(item.Data.GetRawText())), e.GetType().Name);
        }
    }

    [Fact]
    public void a_row_written_with_its_whole_body_before_rows_became_lean_reads_as_that_body()
    {
        var e = OneOfEachFact().First();
        var whole = JsonNode.Parse(Json(TimelineEntry.Of("BY-US", Provenance.Resolve([new RecordedEvent(e, 7, DateTimeOffset.UnixEpoch)]).Single())))!.AsObject();
        whole["occurredOn"] = "2025-09-11";
        whole["summary"] = "as the old row had it";
        whole["data"] = JsonNode.Parse(EventCatalog.DataElementOf(e).GetRawText());
        whole["sources"] = new JsonArray(new JsonObject { ["outlet"] = "Reuters" });
        whole["relatedEventIds"] = new JsonArray();
        var item = TimelineItem.Of(JsonSerializer.Deserialize<TimelineEntry>(whole.ToJsonString(), LedgerJson.Options)!, new RecordedEvent(e, 7, Recorded), null);
        Assert.Equal("as the old row had it", item.Summary);
    }
}
