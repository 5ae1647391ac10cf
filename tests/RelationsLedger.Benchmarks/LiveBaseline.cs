using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using RelationsLedger.Relations;

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
    /// <summary>The app's own store configuration (projections included), plus the live fold for the as-of baseline.</summary>
    public static DocumentStore Store(string connectionString)
    {
        var options = RelationsLedger.Platform.LedgerStore.Configure(new StoreOptions(), connectionString);
        options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
        options.Projections.Add(new LiveFold(), ProjectionLifecycle.Live);
        return new DocumentStore(options);
    }
}
