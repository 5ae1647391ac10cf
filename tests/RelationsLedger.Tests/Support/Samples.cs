using System.Text.Json.Nodes;
using RelationsLedger.Relations;

namespace RelationsLedger.Tests.Support;

/// <summary>A valid <c>data</c> object for every event type in the catalog (provenance types need a target id).</summary>
public static class Samples
{
    /// <summary>Domain types only (provenance needs a real target); the examples live with the catalog.</summary>
    public static readonly IReadOnlyDictionary<string, JsonObject> Data =
        EventExamples.Data.Where(kv => !EventCatalog.ByName[kv.Key].IsProvenance).ToDictionary();

    public static JsonObject Event(string type, string occurredOn, JsonObject? data = null, Guid? eventId = null, string? summary = null)
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["occurredOn"] = occurredOn,
            ["summary"] = summary ?? $"{type} on {occurredOn}",
            ["data"] = (data ?? Data[type]).DeepClone(),
            ["sources"] = new JsonArray(new JsonObject { ["outlet"] = "Reuters", ["title"] = "Report", ["url"] = "https://www.reuters.com/world/", ["publishedOn"] = "2025-09-11" }),
        };
        if (eventId is not null) body["eventId"] = eventId.ToString();
        return body;
    }

    public static JsonObject Correction(Guid target, JsonObject patch, string occurredOn = "2025-09-12") =>
        Event("EventCorrected", occurredOn, new JsonObject { ["correctsEventId"] = target.ToString(), ["patch"] = patch, ["reason"] = "other outlets agree" });

    public static JsonObject Retraction(Guid target, string occurredOn = "2025-09-12") =>
        Event("EventRetracted", occurredOn, new JsonObject { ["retractsEventId"] = target.ToString(), ["reason"] = "the report was withdrawn" });

    public static JsonObject Citation(Guid target, string stance = "disputes", string occurredOn = "2025-09-12") =>
        Event("SourceCited", occurredOn, new JsonObject { ["eventId"] = target.ToString(), ["source"] = new JsonObject { ["outlet"] = "Pozirk" }, ["stance"] = stance });
}
