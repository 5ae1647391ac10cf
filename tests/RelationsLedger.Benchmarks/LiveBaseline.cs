using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using RelationsLedger.Relations;
using Weasel.Core;

namespace RelationsLedger.Benchmarks;

public sealed class LiveState
{
    public string Id { get; set; } = "";
    public RelationshipState State { get; set; } = RelationshipState.Empty;
}

/// <summary>The peer baseline: Marten's own live aggregation of the whole stream (AggregateStreamAsync), folding every
/// event in stream order with the same Evolve.</summary>
public sealed partial class LiveFold : SingleStreamProjection<LiveState, string>
{
    public override LiveState Evolve(LiveState? snapshot, string id, IEvent e)
    {
        snapshot ??= new LiveState { Id = id };
        if (e.Data is DomainEvent fact) snapshot.State = snapshot.State.Evolve(fact);
        return snapshot;
    }
}

public static class LiveBaseline
{
    public static DocumentStore Store(string connectionString) => DocumentStore.For(options =>
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = "ledger";
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase, configure: json => LedgerJson.Configure(json));
        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.MetadataConfig.HeadersEnabled = true;
        options.Events.MetadataConfig.CorrelationIdEnabled = true;
        options.Events.AddEventTypes(EventCatalog.All.Select(t => t.ClrType));
        options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
        options.Projections.Add(new LiveFold(), ProjectionLifecycle.Live);
    });
}
