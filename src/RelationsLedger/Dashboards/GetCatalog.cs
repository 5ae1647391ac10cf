using RelationsLedger.Relations;
using Wolverine.Http;

namespace RelationsLedger.Dashboards;

public static class GetCatalog
{
    /// <summary>Every event type and the fields of its data: what the add-event form and clients build on.</summary>
    [WolverineGet("/api/catalog")]
    public static IResult Get() => TypedResults.Ok(new
    {
        types = EventCatalog.All.Select(t => new
        {
            name = t.Name,
            provenance = t.IsProvenance,
            fields = t.Fields.Select(f => new { name = f.Name, kind = f.Kind.ToString(), required = f.Required, choices = f.Choices }),
        }),
    });
}
