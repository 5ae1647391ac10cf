using System.Text.Json;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RelationsLedger.Relations.Projections;

namespace RelationsLedger.Relations.Recording;

/// <summary>Who wrote a request's events, kept as headers beside each of them.</summary>
public sealed record Stamp(string Writer, string? RequestId = null, string? ClientAddress = null, string? CorrelationId = null)
{
    public Dictionary<string, string> Headers()
    {
        var headers = new Dictionary<string, string> { ["writer"] = Writer };
        if (RequestId is not null) headers["requestId"] = RequestId;
        if (ClientAddress is not null) headers["clientAddress"] = ClientAddress;
        return headers;
    }
}

/// <summary>A pair's new events and the timeline rows they change, written in one transaction into Marten's own
/// tables with two round trips whatever the number of events: begin, move the stream's version on (locking its row)
/// and draw sequences; insert events, upsert rows as arrays, commit. Marten's append pipeline costs a statement per event and a
/// projection pass per session; this is the same write, shaped for batches. The database's clock stamps
/// recordedAt.</summary>
public sealed class StreamWriter(IDocumentStore store)
{
    private readonly EventRows _rows = new(store);
    private string Schema => _rows.Schema;
    private static readonly string TimelineType = typeof(TimelineEntry).FullName!;

    /// <summary>Appends <paramref name="events"/> after the stream's current version (or fails with a conflict when
    /// <paramref name="expectedVersion"/> is given and differs). <paramref name="stored"/> is the pair's stream when the
    /// caller already read it; it is needed only when provenance changes existing timeline rows.</summary>
    public async Task<(IReadOnlyList<Appended>? Appended, string? Conflict)> WriteAsync(
        Pair pair, IReadOnlyList<LedgerEvent> events, long? expectedVersion, Stamp stamp, IReadOnlyList<RecordedEvent>? stored, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        // BEGIN and COMMIT travel in the two batches: two round trips in all
        var (current, recordedAt, sequences) = await AllocateAsync(connection, pair, events.Count, expectedVersion, ct);
        if (sequences.Length == 0)
        {
            await EventRows.ExecuteAsync(connection, "rollback", ct);
            return (null, $"The pair's stream is at version {current}, not the expected {expectedVersion}: read it again and retry.");
        }

        var fresh = events.Select((e, i) => new RecordedEvent(e, sequences[i], recordedAt, current + 1 + i)).ToList();
        try
        {
            // provenance rewrites rows of earlier events: resolve against the stream as it stands under the lock
            if (fresh.Any(e => e.Event is ProvenanceEvent) && (stored is null || (stored.Count == 0 ? 0 : stored.Max(e => e.Version)) != current))
                stored = await ReadStreamAsync(connection, pair, ct);
            var rows = TimelineProjection.Rows(pair.Id, fresh, stored ?? []);
            var headers = JsonSerializer.Serialize(stamp.Headers());
            await using var write = new NpgsqlBatch(connection);
            write.BatchCommands.Add(Command(
                $"""
                insert into {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, headers)
                select seq, id, $3, version, data, type, $7, dotnet, $8, $9
                from unnest($1::bigint[], $2::uuid[], $4::bigint[], $5::jsonb[], $6::varchar[], $10::varchar[]) as e(seq, id, version, data, type, dotnet)
                """,
                sequences, fresh.Select(e => e.Event.Id).ToArray(), pair.Id, fresh.Select(e => e.Version).ToArray(),
                Jsonb(fresh.Select(e => _rows.Json.ToJson(e.Event))), fresh.Select(e => _rows.TypeOf(e.Event).EventTypeName).ToArray(),
                recordedAt, Text(stamp.CorrelationId), Jsonb(headers), fresh.Select(e => _rows.TypeOf(e.Event).DotNetTypeName).ToArray()));
            // a new fact's row is new (its id just went into mt_events, whose id index is unique): a plain insert costs
            // PostgreSQL a quarter less per row than an upsert; only the rows that provenance changes exist already
            var freshIds = fresh.Select(e => e.Event.Id).ToHashSet();
            foreach (var part in rows.GroupBy(r => freshIds.Contains(r.Id)))
                write.BatchCommands.Add(InsertRows(part.ToList(), upsert: !part.Key));
            write.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await write.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e)
        {
            // the connection may be gone (then so is the transaction); otherwise end it before it goes back to the pool
            try { await EventRows.ExecuteAsync(connection, "rollback", CancellationToken.None); } catch (NpgsqlException) { }
            await TombstonesAsync(sequences);
            // another request recorded one of these event ids in the meantime
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
                return (null, "An event with this eventId was already recorded with a different body (or pair).");
            throw;
        }
        return (fresh.Select(e => new Appended(e.Event.Id, pair.Id, e.Version, e.Sequence, recordedAt)).ToList(), null);
    }

    private NpgsqlBatchCommand InsertRows(List<TimelineEntry> rows, bool upsert) => Command(
        $"insert into {Schema}.mt_doc_timelineentry (id, data, mt_dotnet_type) select id, data, $3 from unnest($1::uuid[], $2::jsonb[]) as r(id, data)" +
        (upsert ? " on conflict (id) do update set data = excluded.data, mt_last_modified = transaction_timestamp(), mt_version = md5(random()::text || clock_timestamp()::text)::uuid" : ""),
        rows.Select(r => r.Id).ToArray(), Jsonb(rows.Select(r => _rows.Json.ToJson(r))), TimelineType);

    /// <summary>Opens the transaction, moves the stream's version on by <paramref name="count"/> (which locks its row
    /// until commit) and draws that many sequences, in one statement. No row comes back when the stream is new or
    /// not at <paramref name="expectedVersion"/>: a new stream's row is created and the statement tried again; a
    /// stale version draws no sequence (a drawn, unused sequence is a gap the async daemon has to wait out) and
    /// returns the stream's actual version with no sequences.</summary>
    private async Task<(long Current, DateTimeOffset RecordedAt, long[] Sequences)> AllocateAsync(
        NpgsqlConnection connection, Pair pair, int count, long? expectedVersion, CancellationToken ct)
    {
        NpgsqlBatchCommand Advance() => Command(
            $"""
            with moved as (
                update {Schema}.mt_streams set version = version + $1, timestamp = clock_timestamp()
                where id = $2 and ($3::bigint is null or version = $3)
                returning version - $1 as previous, timestamp)
            select previous, timestamp, nextval('{Schema}.mt_events_sequence') from moved, generate_series(1, $1)
            """, count, pair.Id, new NpgsqlParameter { Value = (object?)expectedVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using (var first = new NpgsqlBatch(connection))
        {
            first.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            first.BatchCommands.Add(Advance());
            await using var reader = await first.ExecuteReaderAsync(ct);
            if (await Drawn(reader, count, ct) is { } done) return done;
        }
        await using var again = new NpgsqlBatch(connection);
        again.BatchCommands.Add(EnsureStream(pair.Id));
        again.BatchCommands.Add(Advance());
        again.BatchCommands.Add(Command($"select version from {Schema}.mt_streams where id = $1", pair.Id));
        await using (var reader = await again.ExecuteReaderAsync(ct))
        {
            if (await Drawn(reader, count, ct) is { } done) return done;
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            return (reader.GetInt64(0), default, []);
        }
    }

    private static async Task<(long, DateTimeOffset, long[])?> Drawn(NpgsqlDataReader reader, int count, CancellationToken ct)
    {
        var sequences = new long[count];
        var (current, recordedAt, drawn) = (0L, default(DateTimeOffset), 0);
        for (; await reader.ReadAsync(ct); drawn++)
            (current, recordedAt, sequences[drawn]) = (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2));
        return drawn == 0 ? null : (current, recordedAt, sequences);
    }

    /// <summary>Fills the sequences of a failed write with Marten's tombstone events, as Marten does for its own failed
    /// appends, so the async daemon does not wait on the gap. Best effort: the daemon skips a stale gap anyway.</summary>
    private async Task TombstonesAsync(long[] sequences)
    {
        try
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync();
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(EnsureStream(Tombstone.StreamKey));
            batch.BatchCommands.Add(Command(
                $"insert into {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type) select seq, gen_random_uuid(), $2, seq, '{{}}', $4, clock_timestamp(), $3 from unnest($1::bigint[]) as t(seq)",
                sequences, Tombstone.StreamKey, $"{typeof(Tombstone).FullName}, {typeof(Tombstone).Assembly.GetName().Name}", EventRows.Tombstone));
            await batch.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { }
    }

    private async Task<List<RecordedEvent>> ReadStreamAsync(NpgsqlConnection connection, Pair pair, CancellationToken ct)
    {
        await using var read = new NpgsqlCommand($"select seq_id, version, timestamp, type, data from {Schema}.mt_events where stream_id = $1 and type <> $2 order by seq_id", connection);
        read.Parameters.Add(new NpgsqlParameter { Value = pair.Id });
        read.Parameters.Add(new NpgsqlParameter { Value = EventRows.Tombstone });
        await using var reader = await read.ExecuteReaderAsync(ct);
        var stream = new List<RecordedEvent>();
        while (await reader.ReadAsync(ct))
        {
            await using var data = await reader.GetStreamAsync(4, ct);
            stream.Add(_rows.Read(reader.GetString(3), data, reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt64(1)));
        }
        return stream;
    }

    /// <summary>The stream's row, created at version 0 if the stream is new (the row the append locks).</summary>
    private NpgsqlBatchCommand EnsureStream(string id) =>
        Command($"insert into {Schema}.mt_streams (id, version) values ($1, 0) on conflict (id) do nothing", id);

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        return command;
    }

    private static NpgsqlParameter Jsonb(string json) => new() { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static NpgsqlParameter Jsonb(IEnumerable<string> json) => new() { Value = json.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar };
}
