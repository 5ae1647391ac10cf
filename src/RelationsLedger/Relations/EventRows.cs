using JasperFx.Events;
using Marten;
using Npgsql;

namespace RelationsLedger.Relations;

/// <summary>Marten's event table as the ledger writes and reads it directly (the append path, the one-pass rebuild):
/// the stored name of each event type and Marten's own serializer, so rows are what Marten itself would write and read.</summary>
public sealed class EventRows(IDocumentStore store)
{
    /// <summary>The type Marten gives the events that fill the sequences of a failed append; they are not events.</summary>
    public const string Tombstone = "tombstone";

    private readonly Dictionary<Type, IEventType> _byType = store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType);
    private readonly Dictionary<string, Type> _byName = store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventTypeName, t => t.EventType);

    public string Schema { get; } = store.Options.Events.DatabaseSchemaName;
    public ISerializer Json { get; } = store.Options.Serializer();

    public IEventType TypeOf(LedgerEvent e) => _byType[e.GetType()];

    public RecordedEvent Read(string type, Stream data, long sequence, DateTimeOffset recordedAt, long version) =>
        new((LedgerEvent)Json.FromJson(_byName[type], data), sequence, recordedAt, version);

    /// <summary>One plain statement (or several, ';'-joined) on the writer's connection; nothing to send, nothing sent.</summary>
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        if (sql.Length == 0) return;
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
