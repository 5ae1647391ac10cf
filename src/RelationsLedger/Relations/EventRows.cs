using System.Buffers;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RelationsLedger.Relations.Projections;

namespace RelationsLedger.Relations;

/// <summary>Marten's event table as the ledger writes and reads it directly (the append path, the one-pass rebuild):
/// the stored name of each event type and Marten's own serializer, so rows are what Marten itself would write and read.</summary>
public sealed class EventRows(IDocumentStore store)
{
    /// <summary>The type Marten gives the events that fill the sequences of a failed append; they are not events.</summary>
    public const string Tombstone = "tombstone";

    private readonly Dictionary<Type, IEventType> _byType = store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType);
    private readonly Dictionary<string, Type> _byName = store.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventTypeName, t => t.EventType);
    private readonly HashSet<string> _provenance = [.. store.Options.Events.AllKnownEventTypes().Where(t => t.EventType.IsSubclassOf(typeof(ProvenanceEvent))).Select(t => t.EventTypeName)];

    public string Schema { get; } = store.Options.Events.DatabaseSchemaName;
    public ISerializer Json { get; } = store.Options.Serializer();

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDocumentStore, EventRows> OfStore = new();

    /// <summary>The store's one instance (its lookups are built once).</summary>
    public static EventRows Of(IDocumentStore store) => OfStore.GetValue(store, s => new EventRows(s));

    public IEventType TypeOf(LedgerEvent e) => _byType[e.GetType()];

    /// <summary>The name the event table stores for this event type.</summary>
    public string StoredName(Type type) => _byType[type].EventTypeName;

    public RecordedEvent Read(string type, Stream data, long sequence, DateTimeOffset recordedAt, long version) =>
        new((LedgerEvent)Json.FromJson(_byName[type], data), sequence, recordedAt, version);

    /// <summary>As <see cref="Read"/>, without what the history cache does not keep (<see cref="Replaying.HistoryCache.Lean"/>):
    /// the sources, the related ids and a fact's summary (but a contact's) are skipped in the JSON instead of being
    /// read into strings and records that are dropped at once.</summary>
    public RecordedEvent ReadLean(string type, Stream data, long sequence, DateTimeOffset recordedAt, long version)
    {
        var (buffer, start, length) = Whole(data);
        try
        {
            var json = buffer.AsSpan(start, length);
            return Replaying.HistoryCache.Lean(new((LedgerEvent)System.Text.Json.JsonSerializer.Deserialize(json, _byName[type], Replaying.HistoryCache.LeanJson)!, sequence, recordedAt, version));
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>As <see cref="Read"/>, when <paramref name="wanted"/> keeps the row by its type, sequence and JSON; null
    /// otherwise, and the row is never deserialized.</summary>
    private RecordedEvent? ReadIf(string type, Stream data, long sequence, DateTimeOffset recordedAt, long version, RowFilter wanted)
    {
        var (buffer, start, length) = Whole(data);
        try
        {
            if (!wanted(type, sequence, buffer.AsSpan(start, length))) return null;
            using var json = new MemoryStream(buffer, start, length, writable: false);
            return Read(type, json, sequence, recordedAt, version);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>A row's look before it is deserialized: its type's stored name, its sequence and its JSON (UTF-8).</summary>
    public delegate bool RowFilter(string type, long sequence, ReadOnlySpan<byte> json);

    public bool IsProvenance(string type) => _provenance.Contains(type);

    /// <summary>A column's JSON read whole into a pooled array (the caller returns it), jsonb's version byte left out.
    /// Not a <see cref="Platform.PooledBuffer"/>: an object for every row read.</summary>
    private static (byte[] Buffer, int Start, int Length) Whole(Stream data)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        for (int read; (read = data.Read(buffer, length, buffer.Length - length)) > 0;)
            if ((length += read) == buffer.Length) buffer = Platform.PooledBuffer.Grown(buffer, length, 1);
        // jsonb in PostgreSQL's binary format starts with its version, 1
        return length > 0 && buffer[0] == 1 ? (buffer, 1, length - 1) : (buffer, 0, length);
    }

    /// <summary>A pair's events after <paramref name="afterVersion"/>, in order, as <see cref="ReadAsync(IQuerySession, NpgsqlCommand, CancellationToken)"/> reads
    /// them: the columns a fold needs, along the (stream, version) index. Connection-free, so a session can run it.</summary>
    /// <param name="types">only events of these types (all when null)</param>
    /// <param name="recordedBy">only events recorded at or before this instant (the store's timestamps have whole
    /// microseconds, so PostgreSQL's truncation of the instant keeps exactly these)</param>
    /// <param name="basis">only events with sequences at or below this one</param>
    public NpgsqlCommand StreamCommand(string pair, long afterVersion, IEnumerable<Type>? types = null, DateTimeOffset? recordedBy = null, long? basis = null)
    {
        var command = new NpgsqlCommand
        {
            Parameters = { new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Varchar, TypedValue = pair }, new NpgsqlParameter<long> { TypedValue = afterVersion } },
        };
        var filters = "";
        if (types is not null) filters += $" and type = any({Add(new NpgsqlParameter<string[]> { TypedValue = [.. types.Select(StoredName)] })})";
        if (recordedBy is { } at) filters += $" and timestamp <= {Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at.ToUniversalTime() })}";
        if (basis is { } sequence) filters += $" and seq_id <= {Add(new NpgsqlParameter<long> { TypedValue = sequence })}";
        command.CommandText = $"select seq_id, version, timestamp, type, data from {Schema}.mt_events where stream_id = $1 and version > $2 and type <> '{Tombstone}'"
            + filters + " order by version";
        return command;

        string Add(NpgsqlParameter parameter)
        {
            command.Parameters.Add(parameter);
            return $"${command.Parameters.Count}";
        }
    }

    /// <summary>The events of a pair that bear on <paramref name="ids"/> — those events, and the provenance that names
    /// one of them — in version order, with the stream's version, in one statement (one snapshot). A correction to a
    /// long pair needs these few, not the pair's whole stream: PostgreSQL walks the pair's rows along the (stream,
    /// version) index and sends only these.</summary>
    /// <param name="writers">when given, filled with who recorded each event read (<see cref="WriterColumn"/>)</param>
    public async Task<(long Version, List<RecordedEvent> Events)> BearingAsync(IQuerySession session, string pair, IReadOnlySet<Guid> ids, CancellationToken ct,
        Dictionary<Guid, string>? writers = null)
    {
        await using var command = BearingCommand(pair, ids);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        return await BearingRowsAsync(reader, ct, writers);
    }

    /// <summary>As <see cref="BearingAsync(IQuerySession, string, IReadOnlySet{Guid}, CancellationToken)"/>, on the
    /// caller's connection (the writer's transaction).</summary>
    public async Task<(long Version, List<RecordedEvent> Events)> BearingAsync(NpgsqlConnection connection, string pair, IReadOnlySet<Guid> ids, CancellationToken ct)
    {
        await using var command = BearingCommand(pair, ids);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await BearingRowsAsync(reader, ct);
    }

    private NpgsqlCommand BearingCommand(string pair, IReadOnlySet<Guid> ids)
    {
        // a provenance event names its fact in its own member; compared as text (the serializer writes a Guid in
        // lowercase "D" form), so no value of another event's member is ever cast
        string Names(Type type, string member) =>
            $"(type = '{_byType[type].EventTypeName}' and data ->> '{System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member)}' = any($3))";
        return new(
            $"""
            select s.version, e.seq_id, e.version, e.timestamp, e.type, e.data, e.writer from {Schema}.mt_streams s
            left join lateral (
                select seq_id, version, timestamp, type, data, {WriterColumn} as writer from {Schema}.mt_events
                where stream_id = s.id and (id = any($2) or {Names(typeof(EventCorrected), nameof(EventCorrected.CorrectsEventId))}
                    or {Names(typeof(EventRetracted), nameof(EventRetracted.RetractsEventId))} or {Names(typeof(SourceCited), nameof(SourceCited.EventId))})
                order by version) e on true
            where s.id = $1
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Varchar, TypedValue = pair }, new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] },
                new NpgsqlParameter<string[]> { TypedValue = [.. ids.Select(id => id.ToString("D"))] },
            },
        };
    }

    private async Task<(long Version, List<RecordedEvent> Events)> BearingRowsAsync(System.Data.Common.DbDataReader reader, CancellationToken ct,
        Dictionary<Guid, string>? writers = null)
    {
        var (version, events) = (0L, new List<RecordedEvent>());
        while (await reader.ReadAsync(ct))
        {
            version = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
            if (reader.IsDBNull(1)) continue;
            var (sequence, eventVersion, recordedAt, type) = (reader.GetInt64(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
            events.Add(Read(type, reader.GetStream(5), sequence, recordedAt, eventVersion));
            Written(reader, 6, events[^1], writers);
        }
        return (version, events);
    }

    /// <summary>Who recorded an event: the writer kept in its headers — an API key's name, <c>seed:FILE</c>, <c>import</c>
    /// (a restore keeps the ledger's it came from). An event stored without one has none.</summary>
    public const string WriterColumn = "headers ->> 'writer'";

    /// <summary>Keeps <paramref name="e"/>'s writer, read from <paramref name="column"/> (after its data, whose stream
    /// the event was read from and is done with).</summary>
    private static void Written(System.Data.Common.DbDataReader reader, int column, RecordedEvent e, Dictionary<Guid, string>? writers)
    {
        if (writers is not null && !reader.IsDBNull(column)) writers[e.Event.Id] = reader.GetString(column);
    }

    /// <summary>The events with these sequences (the table's key), as <see cref="ReadAsync(IQuerySession, NpgsqlCommand, CancellationToken)"/> reads them.</summary>
    public NpgsqlCommand SequencesCommand(long[] sequences) =>
        new($"select seq_id, version, timestamp, type, data, {WriterColumn} from {Schema}.mt_events where seq_id = any($1)")
        {
            Parameters = { new NpgsqlParameter<long[]> { TypedValue = sequences } },
        };

    /// <summary>The events with these sequences, read whole in <paramref name="session"/>, in no particular order.</summary>
    /// <param name="writers">when given, filled with who recorded each (<see cref="WriterColumn"/>)</param>
    public async Task<List<RecordedEvent>> AtSequencesAsync(IQuerySession session, long[] sequences, CancellationToken ct, Dictionary<Guid, string>? writers = null)
    {
        var read = new List<RecordedEvent>(sequences.Length);
        if (sequences.Length == 0) return read;
        await using var command = SequencesCommand(sequences);
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        await foreach (var e in ReadRowsAsync(reader, ct))
        {
            read.Add(e);
            Written(reader, 5, e, writers);
        }
        return read;
    }

    /// <summary>The events a <see cref="StreamCommand"/> or a <see cref="SequencesCommand"/> selects, run in
    /// <paramref name="session"/> (a replica session reads its replica), each deserialized as its row is read; none of
    /// Marten's wrappers, headers or per-column async reads (through Marten's LINQ, a pair's history took the summary
    /// projection longer than the daemon's own reading of the same events).</summary>
    /// <param name="lean">read as the history cache keeps events (<see cref="ReadLean"/>)</param>
    public async IAsyncEnumerable<RecordedEvent> ReadAsync(IQuerySession session, NpgsqlCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, bool lean = false)
    {
        await using (command)
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
            await foreach (var e in ReadRowsAsync(reader, ct, lean)) yield return e;
    }

    /// <summary>As <see cref="ReadAsync(IQuerySession, NpgsqlCommand, CancellationToken, bool)"/>, deserializing only
    /// the rows <paramref name="wanted"/> keeps: a search of a long pair looks at every row's JSON and reads few.</summary>
    public async IAsyncEnumerable<RecordedEvent> ReadAsync(IQuerySession session, NpgsqlCommand command, RowFilter wanted, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using (command)
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
            await foreach (var e in ReadRowsAsync(reader, ct, wanted: wanted)) yield return e;
    }

    /// <summary>As <see cref="ReadAsync(IQuerySession, NpgsqlCommand, CancellationToken, bool)"/>, on a connection of the
    /// caller's (the writer's transaction, the rebuild's read stage).</summary>
    public async IAsyncEnumerable<RecordedEvent> ReadAsync(NpgsqlConnection connection, NpgsqlCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using (command)
        {
            command.Connection = connection;
            await using var reader = await command.ExecuteReaderAsync(ct);
            await foreach (var e in ReadRowsAsync(reader, ct)) yield return e;
        }
    }

    /// <param name="wanted">when given, the rows it keeps alone are deserialized (<see cref="ReadIf"/>)</param>
    private async IAsyncEnumerable<RecordedEvent> ReadRowsAsync(System.Data.Common.DbDataReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct,
        bool lean = false, RowFilter? wanted = null)
    {
        while (await reader.ReadAsync(ct))
        {
            // the data column last: reading a column after the data's stream is opened disposes that stream
            var (sequence, version, recordedAt, type) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
            var data = reader.GetStream(4);
            if (wanted is not null)
            {
                if (ReadIf(type, data, sequence, recordedAt, version, wanted) is { } kept) yield return kept;
            }
            else yield return lean ? ReadLean(type, data, sequence, recordedAt, version) : Read(type, data, sequence, recordedAt, version);
        }
    }

    /// <summary>The columns the ledger fills in Marten's event table, in the order both of its writes (arrays, COPY) send them.</summary>
    public const string EventColumns = "seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, headers";

    /// <summary>The columns of a timeline row, in the order every writer of rows (arrays, COPY) sends them. The row's
    /// version is sent too: Marten's column default (<c>md5(random()::text || clock_timestamp()::text)::uuid</c>, per
    /// row) was a third of PostgreSQL's time for a row's insert (200,000 rows: 707–768 ms against 458–460).</summary>
    public const string TimelineColumns = "id, data, mt_dotnet_type, pair, effective, sequence, mt_version";

    /// <summary>Binary COPY of timeline rows, as the bulk writers (a long append, the rebuild) send them.</summary>
    public static string CopyTimeline(string table) => $"copy {table} ({TimelineColumns}) from stdin (format binary)";

    /// <summary>One row of <see cref="CopyTimeline"/>: its JSON written straight into <paramref name="buffer"/> as UTF-8,
    /// not into a string Npgsql encodes again.</summary>
    public async Task CopyRowAsync(NpgsqlBinaryImporter copy, TimelineEntry row, ArrayBufferWriter<byte> buffer, CancellationToken ct)
    {
        await copy.StartRowAsync(ct);
        await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid, ct);
        buffer.ResetWrittenCount();
        Json.WriteTo(buffer, row);
        await copy.WriteAsync(buffer.WrittenMemory, NpgsqlDbType.Jsonb, ct);
        await copy.WriteAsync(TimelineType, NpgsqlDbType.Varchar, ct);
        await copy.WriteAsync(row.Pair, NpgsqlDbType.Varchar, ct);
        await copy.WriteAsync(row.Effective, NpgsqlDbType.Date, ct);
        await copy.WriteAsync(row.Sequence, NpgsqlDbType.Bigint, ct);
        await copy.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid, ct);
    }

    public static readonly string TimelineType = typeof(TimelineEntry).FullName!;

    /// <summary>One plain statement (or several, ';'-joined) on the writer's connection; nothing to send, nothing sent.</summary>
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        if (sql.Length == 0) return;
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
