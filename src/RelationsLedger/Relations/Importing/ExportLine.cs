using System.Text.Json;
using System.Text.Json.Nodes;

namespace RelationsLedger.Relations.Importing;

/// <summary>An event as recorded, in the one shape the ledger hands it out: the <c>export</c> verb's NDJSON lines,
/// which <c>import</c> reads back (<c>--as-recorded</c> keeps the <c>recorded</c> part), and the events feed's items.</summary>
public static class ExportLine
{
    public static JsonObject Of(string pair, LedgerEvent e, long sequence, long version, DateTimeOffset recordedAt, string? recordedBy) => new()
    {
        ["pair"] = pair,
        ["eventId"] = e.Id,
        ["type"] = e.GetType().Name,
        ["occurredOn"] = e.OccurredOn.ToString(),
        ["summary"] = e.Summary,
        ["data"] = EventCatalog.DataOf(e),
        ["sources"] = JsonSerializer.SerializeToNode(e.Sources, LedgerJson.Options),
        ["relatedEventIds"] = JsonSerializer.SerializeToNode(e.RelatedEventIds, LedgerJson.Options),
        ["recorded"] = new JsonObject { ["sequence"] = sequence, ["version"] = version, ["at"] = recordedAt, ["by"] = recordedBy },
    };
}
