using System.Text.Json;
using System.Text.Json.Nodes;
using RelationsLedger.Relations;
using RelationsLedger.Relations.Projections;

namespace RelationsLedger.Tests.Unit;

public sealed class TimelineRowTests
{
    [Fact]
    public void a_rows_data_is_the_events_own_fields_whether_the_row_is_made_from_the_event_or_read_back()
    {
        var facts = EventCatalog.All.Where(t => typeof(DomainEvent).IsAssignableFrom(t.ClrType)).ToList();
        Assert.True(facts.Count > 20);
        foreach (var type in facts)
        {
            var e = EventCatalog.Create(type, EventExamples.Data[type.Name], Guid.NewGuid(), Occurrence.Parse("2025-09-11"), "summary", [new Source("Reuters")], []);
            var expected = JsonNode.Parse(EventCatalog.DataElementOf(e).GetRawText());
            var row = TimelineEntry.Of("BY-US", Provenance.Resolve([new RecordedEvent(e, 1, DateTimeOffset.UnixEpoch)]).Single());
            var json = JsonSerializer.Serialize(row, LedgerJson.Options);
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(json)!["data"]), $"{type.Name}: {json}");
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(row.Data.Element.GetRawText())), type.Name);
            var back = JsonSerializer.Deserialize<TimelineEntry>(json, LedgerJson.Options)!;
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(back.Data.Element.GetRawText())), type.Name);
            Assert.Equal(json, JsonSerializer.Serialize(back, LedgerJson.Options));
        }
    }
}
