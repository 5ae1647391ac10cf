using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RelationsLedger.Relations.Projections;

namespace RelationsLedger.Relations.Recording;

/// <summary>Who wrote a request's events, kept as headers beside each of them.</summary>
public sealed record Stamp(string Writer, string? RequestId = null, string? ClientAddress = null, string? CorrelationId = null)
{
    /// <summary>One rule for a writer's name wherever one is given (an API key's name, a restored line's writer, the
    /// log's filter), so whatever the ledger records it can also export, restore and look up.</summary>
    public const int MaxWriter = 300;

    public static readonly string WriterRule = $"text of 1 to {MaxWriter} characters, not blank, no control characters";

    public static bool IsWriterName(string? name) => !string.IsNullOrWhiteSpace(name) && name.Length <= MaxWriter && !name.Any(char.IsControl);

    public Dictionary<string, string> Headers()
    {
        var headers = new Dictionary<string, string> { ["writer"] = Writer };
        if (RequestId is not null) headers["requestId"] = RequestId;
        if (ClientAddress is not null) headers["clientAddress"] = ClientAddress;
        return headers;
    }
}

/// <summary>An event as it was recorded in the ledger it was exported from: its sequence, time and writer there.</summary>
public sealed record RestoredEvent(LedgerEvent Event, long Sequence, DateTimeOffset RecordedAt, string Writer);

/// <summary>A pair's events in one transaction of a restore, after the version the pair is at.</summary>
public sealed record RestoredWrite(Pair Pair, long VersionBefore, IReadOnlyList<RestoredEvent> Events);

/// <summary>Pairs' new events and the timeline rows they change, written into Marten's own tables with group commit:
/// the writes that arrive while a transaction is being committed wait for the next one and share it. A transaction is
/// two round trips: begin, move each stream's version on (locking its row) and draw sequences; insert every event and
/// row as arrays, commit (more than 100 events, an import's or a batch's, go by COPY before the commit). Each write
/// keeps its own optimistic concurrency (a stale version draws nothing and is a conflict alone); a transaction that
/// fails is rolled back and each of its writes retried in a transaction of its own, so one bad write cannot fail
/// another. Marten's append pipeline costs a statement per event and a projection pass per session; this is the same
/// write, shaped for batches and concurrency. The database's clock stamps recordedAt.</summary>
public sealed class StreamWriter : IAsyncDisposable
{
    // a transaction gathers up to this many events and writes; a write of more than BulkEvents has one to itself
    private const int GroupEvents = 1_000, GroupWrites = 64, BulkEvents = 100;

    // two transactions in flight: one gathers its writes and draws sequences while the other waits for its commit to
    // reach the disk; each takes its locks in pair order, so the two cannot deadlock
    private const int InFlight = 2;

    private readonly WriterConnections _connections;
    private readonly EventRows _rows;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>();
    private readonly Task _committer;
    private readonly PlannerStatistics _statistics;

    public StreamWriter(IDocumentStore store, WriterConnections connections, ILogger<StreamWriter> logger)
    {
        (_connections, _rows, _statistics) = (connections, EventRows.Of(store), new PlannerStatistics(store, logger));
        _committer = Task.Run(CommitLoopAsync);
    }

    private string Schema => _rows.Schema;

    /// <summary>For tests: runs once a transaction of this many writes has committed, before they are answered;
    /// throwing a connection's error there is a reply lost after the commit.</summary>
    internal Func<int, Task>? Committed { get; set; }

    /// <summary>For tests: runs once a transaction has stamped its writes, before it commits.</summary>
    internal Func<Task>? Stamped { get; set; }

    /// <summary>Appends <paramref name="events"/> after the stream's current version (or fails with a conflict when
    /// <paramref name="expectedVersion"/> is given and differs). <paramref name="stored"/> is what the caller already
    /// read of the pair's stream at <paramref name="storedVersion"/> — at least the events that bear on the facts the
    /// write's provenance names; it is needed only when provenance changes existing timeline rows. When the stream has
    /// moved on by the time the write holds its row, <paramref name="recheck"/> is run again on what bears on its ids
    /// as it then stands (a racing write may have retracted the fact it corrects): problems throw <see cref="WriteRejected"/>.</summary>
    public async Task<(IReadOnlyList<Appended>? Appended, string? Conflict)> WriteAsync(
        Pair pair, IReadOnlyList<LedgerEvent> events, long? expectedVersion, Stamp stamp, IReadOnlyList<RecordedEvent>? stored, long storedVersion = 0,
        Recheck? recheck = null)
    {
        var write = new Write(pair, events, expectedVersion, stamp, stored, storedVersion, recheck);
        // a bulk write (import, batch) gains nothing from company: its caller commits it at once, beside the groups
        if (events.Count > BulkEvents)
        {
            await CommitGroupAsync([write]);
            _statistics.AfterBulkWrite();
        }
        else if (!_queue.Writer.TryWrite(write)) throw new ObjectDisposedException(nameof(StreamWriter));
        // once queued the write is the committer's: a client that goes away does not undo it
        return await write.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _committer;
    }

    /// <summary>Writes <paramref name="writes"/> in one transaction at the sequences, times and by the writers they were
    /// recorded with elsewhere (a restore of an export, in its order), each after its pair's given version, and fills
    /// <paramref name="gaps"/> (sequences the file does not hold, up to its last) with tombstones, so the async daemon
    /// does not wait on them; the store's sequence is moved past the last. Throws when the transaction fails (nothing
    /// of it stays); answers a conflict when a pair is not at its version.</summary>
    public async Task<string?> RestoreAsync(IReadOnlyList<RestoredWrite> writes, IReadOnlyList<(long From, long To)> gaps)
    {
        var group = writes.Select(r => new Write(r.Pair, [.. r.Events.Select(e => e.Event)], r.VersionBefore, new Stamp(Importing.Importer.Writer), null, 0, null) { Given = r.Events }).ToList();
        await CommitAsync(group, gaps);
        _statistics.AfterBulkWrite();
        return group.Select(w => w.Done.Task.Result.Item2).FirstOrDefault(conflict => conflict is not null);
    }

    /// <summary>What a write's references were checked against, to check again under the stream's row lock: the ids
    /// it points at, and the check itself (problems, or null).</summary>
    public sealed record Recheck(IReadOnlySet<Guid> Ids, Func<IReadOnlyList<RecordedEvent>, Problems?> Problems);

    /// <summary>A write whose references no longer hold once it holds the stream's row; nothing of it was appended.</summary>
    public sealed class WriteRejected(Problems problems) : Exception("The write's references changed before it was recorded.")
    {
        public Problems Problems => problems;
    }

    private sealed class Write(Pair pair, IReadOnlyList<LedgerEvent> events, long? expectedVersion, Stamp stamp, IReadOnlyList<RecordedEvent>? stored, long storedVersion, Recheck? recheck)
    {
        public Recheck? Recheck => recheck;
        /// <summary>A restore's: each event's sequence, time and writer as recorded elsewhere, instead of drawn now.</summary>
        public IReadOnlyList<RestoredEvent>? Given { get; init; }
        /// <summary>Set when its references failed under the lock: it is answered with these, never tried again.</summary>
        public Problems? Rejected;
        public Pair Pair => pair;
        public IReadOnlyList<LedgerEvent> Events => events;
        public long? ExpectedVersion => expectedVersion;
        public Stamp Stamp => stamp;
        public IReadOnlyList<RecordedEvent>? Stored { get; set; } = stored;
        public long StoredVersion { get; set; } = storedVersion;
        public readonly TaskCompletionSource<(IReadOnlyList<Appended>?, string?)> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // this attempt's: the version before it, the store's timestamp, the sequences drawn (none: a stale version)
        public (long Current, DateTimeOffset RecordedAt, long[] Sequences) Drawn;
        public List<RecordedEvent> Fresh = [];
    }

    private async Task CommitLoopAsync()
    {
        var reader = _queue.Reader;
        var inFlight = new List<Task>();
        while (true)
        {
            // a transaction is gathered when one of the two may start: everything that arrived meanwhile goes in it
            if (inFlight.Count == InFlight) inFlight.Remove(await Task.WhenAny(inFlight));
            if (!await reader.WaitToReadAsync()) break;
            // one write per pair: a second one waits for the next transaction, where its stream includes the first
            var group = new List<Write>();
            var pairs = new HashSet<string>(StringComparer.Ordinal);
            var events = 0;
            while (group.Count < GroupWrites && reader.TryPeek(out var next) && (group.Count == 0 || events + next.Events.Count <= GroupEvents)
                   && pairs.Add(next.Pair.Id) && reader.TryRead(out next))
            {
                group.Add(next);
                events += next.Events.Count;
            }
            inFlight.Add(Task.Run(() => CommitGroupAsync(group)));
        }
        await Task.WhenAll(inFlight);
    }

    private async Task CommitGroupAsync(List<Write> group)
    {
        Exception failure;
        try
        {
            await CommitAsync(group);
            return;
        }
        catch (Exception e) { failure = e; }
        // PostgreSQL's own error rolled the transaction back; a lost connection may have lost only the reply to a
        // commit that happened, and a write found stored is answered as recorded (a retry would be told its ids are taken)
        // an event id taken by a racing copy of the same request is that request's answer too
        var severed = WriterConnections.Severed(failure);
        foreach (var write in group)
        {
            try
            {
                // rejected under the lock: answered with its problems, never tried again
                if (write.Rejected is not null) Fail(write, failure);
                else if ((failure is not PostgresException || severed || IdTaken(failure)) && await StoredAsync(write.Pair, write.Events) is { } stored) write.Done.SetResult((stored, null));
                // a session the server ended (a restart, a terminated backend) was a pooled one gone stale, and the pool
                // has been cleared since: tried once more on a new one, alone as well
                else if (group.Count > 1 || severed) await CommitAsync([write]);
                // alone, and its events not stored as sent (just looked): a taken id is another request's
                else Fail(write, failure);
            }
            catch (Exception e) { await FailAsync(write, e); }
        }
    }

    private static bool IdTaken(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>The receipts of <paramref name="events"/>, in their order, if every one of them is stored in
    /// <paramref name="pair"/> with the same body; null otherwise. It answers a retry of a recorded write (idempotent
    /// replay) and a write whose commit's reply was lost.</summary>
    public async Task<IReadOnlyList<Appended>?> StoredAsync(Pair pair, IReadOnlyList<LedgerEvent> events)
    {
        var stored = await StoredAsSentAsync(pair, events);
        return events.All(e => stored.ContainsKey(e.Id)) ? [.. events.Select(e => stored[e.Id])] : null;
    }

    /// <summary>The receipts of those of <paramref name="events"/> stored in <paramref name="pair"/> with the same body.</summary>
    public async Task<IReadOnlyDictionary<Guid, Appended>> StoredAsSentAsync(Pair pair, IReadOnlyList<LedgerEvent> events)
    {
        await using var connection = await _connections.OpenAsync();
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command(
            $"select e.id, e.version, e.seq_id, e.timestamp from {Schema}.mt_events e join unnest($1::uuid[], $2::jsonb[]) as w(id, data) on e.id = w.id and e.data = w.data where e.stream_id = $3",
            events.Select(e => e.Id).ToArray(), Jsonb(events.Select(e => _rows.Json.ToJson(e))), pair.Id));
        await using var reader = await batch.ExecuteReaderAsync();
        var stored = new Dictionary<Guid, Appended>();
        while (await reader.ReadAsync())
            stored[reader.GetGuid(0)] = new Appended(reader.GetGuid(0), pair.Id, reader.GetInt64(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
        return stored;
    }

    /// <summary>As <see cref="Fail"/>, for a write whose events were not looked for since <paramref name="e"/>: another
    /// request that recorded one of its ids may have been a copy of it, whose receipts are then its answer.</summary>
    private async Task FailAsync(Write write, Exception e)
    {
        try
        {
            if (write.Rejected is null && IdTaken(e) && await StoredAsync(write.Pair, write.Events) is { } stored)
            {
                write.Done.SetResult((stored, null));
                return;
            }
        }
        catch (Exception again) { e = again; }
        Fail(write, e);
    }

    private static void Fail(Write write, Exception e)
    {
        if (write.Rejected is { } problems) write.Done.SetException(new WriteRejected(problems));
        // another request recorded one of these event ids with other events
        else if (IdTaken(e)) write.Done.SetResult((null, AppendOutcome.Conflict.IdTaken));
        else write.Done.SetException(e);
    }

    /// <summary>One transaction for <paramref name="group"/>; completes each write, or throws (rolled back, tombstones
    /// written for the sequences drawn) and completes none.</summary>
    private async Task CommitAsync(IReadOnlyList<Write> group, IReadOnlyList<(long From, long To)>? gaps = null)
    {
        await using var connection = await _connections.OpenAsync();
        var ordered = group.OrderBy(w => w.Pair.Id, StringComparer.Ordinal).ToList();
        try
        {
            // BEGIN and COMMIT travel in the two batches: two round trips in all
            await AllocateAsync(connection, ordered);
            if (Stamped is { } stamped) await stamped();
            var drawn = ordered.Where(w => w.Drawn.Sequences.Length > 0).ToList();
            await using var batch = new NpgsqlBatch(connection);
            if (drawn.Count > 0)
            {
                var rows = new List<TimelineEntry>();
                var changed = new List<TimelineEntry>();
                foreach (var w in drawn)
                {
                    var (current, recordedAt, sequences) = w.Drawn;
                    w.Fresh = w.Events.Select((e, i) => new RecordedEvent(e, sequences[i], w.Given?[i].RecordedAt ?? recordedAt, current + 1 + i)).ToList();
                    // provenance rewrites rows of earlier events: resolve against what bears on them as it stands under the
                    // lock, and check its references again there (a write that raced it may have retracted its fact)
                    if (w.Fresh.Any(e => e.Event is ProvenanceEvent) && (w.Stored is null || w.StoredVersion != current))
                    {
                        var ids = w.Fresh.Select(e => e.Event).OfType<ProvenanceEvent>().Select(p => p.TargetId).ToHashSet();
                        if (w.Recheck is { } recheck) ids.UnionWith(recheck.Ids);
                        (w.StoredVersion, w.Stored) = (current, (await _rows.BearingAsync(connection, w.Pair.Id, ids, CancellationToken.None)).Events);
                        if (w.Recheck?.Problems(w.Stored) is { } problems)
                        {
                            w.Rejected = problems;
                            throw new WriteRejected(problems);
                        }
                    }
                    // a new fact's row is new (its id just went into mt_events, whose id index is unique): a plain insert
                    // costs PostgreSQL a quarter less per row than an upsert; only the rows that provenance changes exist already
                    var freshIds = w.Fresh.Select(e => e.Event.Id).ToHashSet();
                    foreach (var row in TimelineProjection.Rows(w.Pair.Id, w.Fresh, w.Stored ?? [])) (freshIds.Contains(row.Id) ? rows : changed).Add(row);
                }
                // a bulk write's rows go by COPY (two more round trips, a third less of PostgreSQL's time per event than
                // inserting from arrays); a small one's travel with the commit
                if (drawn.Sum(w => w.Fresh.Count) > BulkEvents) await CopyAsync(connection, drawn, rows);
                else
                {
                    batch.BatchCommands.Add(InsertEvents(drawn));
                    if (rows.Count > 0) batch.BatchCommands.Add(InsertRows(rows, upsert: false));
                }
                if (changed.Count > 0) batch.BatchCommands.Add(InsertRows(changed, upsert: true));
            }
            if (gaps is not null) AddRestoredSequences(batch, gaps, group.SelectMany(w => w.Given ?? []).Max(e => e.Sequence));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await batch.ExecuteNonQueryAsync();
            if (Committed is { } committed) await committed(group.Count);
        }
        catch (Exception)
        {
            // the connection may be gone (then so is the transaction); otherwise end it before it goes back to the pool
            if (connection.State == System.Data.ConnectionState.Open)
                try { await EventRows.ExecuteAsync(connection, "rollback", CancellationToken.None); } catch (NpgsqlException) { }
            // a write the failure came before has drawn nothing (its Drawn is still unset); a restore's sequences are its
            // file's, to be written again
            await TombstonesAsync([.. ordered.Where(w => w.Given is null).SelectMany(w => w.Drawn.Sequences ?? [])]);
            foreach (var w in ordered) w.Drawn = default;
            throw;
        }
        foreach (var w in ordered)
            w.Done.SetResult(w.Drawn.Sequences.Length == 0
                ? (null, $"The pair's stream is at version {w.Drawn.Current}, not the expected {w.ExpectedVersion}: read it again and retry.")
                : (w.Fresh.Select(e => new Appended(e.Event.Id, w.Pair.Id, e.Version, e.Sequence, e.RecordedAt)).ToList(), null));
    }

    /// <summary>One row of Marten's event table as both writes (arrays, COPY) send it, in <see cref="EventRows.EventColumns"/>
    /// order; the body is left to each, which serializes it its own way.</summary>
    private readonly record struct EventRow(
        long Sequence, Guid Id, string Stream, long Version, LedgerEvent Body, IEventType Type, DateTimeOffset RecordedAt, string? Correlation, string Headers);

    private IEnumerable<EventRow> EventRowsOf(List<Write> writes) => writes.SelectMany(w =>
    {
        var headers = JsonSerializer.Serialize(w.Stamp.Headers());
        return w.Fresh.Select((e, i) => new EventRow(e.Sequence, e.Event.Id, w.Pair.Id, e.Version, e.Event, _rows.TypeOf(e.Event), e.RecordedAt, w.Stamp.CorrelationId,
            w.Given is { } given ? JsonSerializer.Serialize(new Stamp(given[i].Writer).Headers()) : headers));
    });

    private NpgsqlBatchCommand InsertEvents(List<Write> writes)
    {
        var events = EventRowsOf(writes).ToList();
        return Command(
            $"""
            insert into {Schema}.mt_events ({EventRows.EventColumns})
            select * from unnest($1::bigint[], $2::uuid[], $3::varchar[], $4::bigint[], $5::jsonb[], $6::varchar[], $7::timestamptz[], $8::varchar[], $9::varchar[], $10::jsonb[])
            """,
            events.Select(e => e.Sequence).ToArray(), events.Select(e => e.Id).ToArray(), events.Select(e => e.Stream).ToArray(),
            events.Select(e => e.Version).ToArray(), Jsonb(events.Select(e => _rows.Json.ToJson(e.Body))),
            events.Select(e => e.Type.EventTypeName).ToArray(), events.Select(e => e.RecordedAt).ToArray(),
            events.Select(e => e.Type.DotNetTypeName).ToArray(),
            new NpgsqlParameter { Value = events.Select(e => e.Correlation).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar },
            Jsonb(events.Select(e => e.Headers)));
    }

    private async Task CopyAsync(NpgsqlConnection connection, List<Write> writes, List<TimelineEntry> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        await using (var copy = await connection.BeginBinaryImportAsync(
            $"copy {Schema}.mt_events ({EventRows.EventColumns}) from stdin (format binary)"))
        {
            foreach (var e in EventRowsOf(writes))
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(e.Sequence, NpgsqlDbType.Bigint);
                await copy.WriteAsync(e.Id, NpgsqlDbType.Uuid);
                await copy.WriteAsync(e.Stream, NpgsqlDbType.Varchar);
                await copy.WriteAsync(e.Version, NpgsqlDbType.Bigint);
                buffer.ResetWrittenCount();
                _rows.Json.WriteTo(buffer, e.Body);
                await copy.WriteAsync(buffer.WrittenMemory, NpgsqlDbType.Jsonb);
                await copy.WriteAsync(e.Type.EventTypeName, NpgsqlDbType.Varchar);
                await copy.WriteAsync(e.RecordedAt, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(e.Type.DotNetTypeName, NpgsqlDbType.Varchar);
                if (e.Correlation is { } correlation) await copy.WriteAsync(correlation, NpgsqlDbType.Varchar);
                else await copy.WriteNullAsync();
                await copy.WriteAsync(e.Headers, NpgsqlDbType.Jsonb);
            }
            await copy.CompleteAsync();
        }
        if (rows.Count == 0) return;
        await using (var copy = await connection.BeginBinaryImportAsync(EventRows.CopyTimeline($"{Schema}.mt_doc_timelineentry")))
        {
            foreach (var row in rows) await _rows.CopyRowAsync(copy, row, buffer, CancellationToken.None);
            await copy.CompleteAsync();
        }
    }

    private NpgsqlBatchCommand InsertRows(List<TimelineEntry> rows, bool upsert) => Command(
        $"insert into {Schema}.mt_doc_timelineentry ({EventRows.TimelineColumns}) " +
        "select id, data, $3, pair, effective, sequence, version from unnest($1::uuid[], $2::jsonb[], $4::varchar[], $5::date[], $6::bigint[], $7::uuid[]) as r(id, data, pair, effective, sequence, version)" +
        (upsert ? " on conflict (id) do update set data = excluded.data, effective = excluded.effective, mt_last_modified = transaction_timestamp(), mt_version = excluded.mt_version" : ""),
        rows.Select(r => r.Id).ToArray(), Jsonb(rows.Select(r => _rows.Json.ToJson(r))), EventRows.TimelineType,
        rows.Select(r => r.Pair).ToArray(), rows.Select(r => r.Effective).ToArray(), rows.Select(r => r.Sequence).ToArray(),
        rows.Select(_ => Guid.NewGuid()).ToArray());

    /// <summary>Opens the transaction, moves each stream's version on by its write's count (which locks its row until
    /// commit) and draws that many sequences, a statement per write. No row comes back when the stream is new or not
    /// at the write's expected version: a new stream's row is created and the statement tried again; a stale version
    /// draws no sequence (a drawn, unused sequence is a gap the async daemon has to wait out) and leaves the stream's
    /// actual version for the conflict's message.</summary>
    private async Task AllocateAsync(NpgsqlConnection connection, List<Write> writes)
    {
        NpgsqlBatchCommand Advance(Write w) => w.Given is { } given
            ? Command(
                $"""
                with moved as (
                    update {Schema}.mt_streams set version = version + $1, timestamp = $4
                    where id = $2 and version = $3
                    returning version - $1 as previous, timestamp)
                select previous, timestamp, g.sequence from moved, unnest($5::bigint[]) with ordinality as g(sequence, n) order by g.n
                """, w.Events.Count, w.Pair.Id, w.ExpectedVersion!.Value, given[^1].RecordedAt, given.Select(e => e.Sequence).ToArray())
            : Command(
                $"""
                with moved as (
                    update {Schema}.mt_streams set version = version + $1, timestamp = clock_timestamp()
                    where id = $2 and ($3::bigint is null or version = $3)
                    returning version - $1 as previous, timestamp)
                select previous, timestamp, nextval('{Schema}.mt_events_sequence') from moved, generate_series(1, $1)
                """, w.Events.Count, w.Pair.Id, new NpgsqlParameter { Value = (object?)w.ExpectedVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using (var first = new NpgsqlBatch(connection))
        {
            first.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            first.BatchCommands.Add(GenericPlans);
            // before the stamp and the sequences, until the commit: a read as known at an instant or a basis waits out the
            // writes that stamped or drew by then
            first.BatchCommands.Add(RecordedHorizon.WriterLock);
            foreach (var w in writes) first.BatchCommands.Add(Advance(w));
            await using var reader = await first.ExecuteReaderAsync();
            await reader.NextResultAsync();
            foreach (var w in writes)
            {
                w.Drawn = await Drawn(reader, w.Events.Count);
                await reader.NextResultAsync();
            }
        }
        var missing = writes.Where(w => w.Drawn.Sequences.Length == 0).ToList();
        if (missing.Count == 0) return;
        await using var again = new NpgsqlBatch(connection);
        foreach (var w in missing)
        {
            // a restored stream begins when its first event was recorded (the history cache tells streams apart by it)
            again.BatchCommands.Add(EnsureStream(w.Pair.Id, w.Given?[0].RecordedAt));
            again.BatchCommands.Add(Advance(w));
            again.BatchCommands.Add(Command($"select version from {Schema}.mt_streams where id = $1", w.Pair.Id));
        }
        await using (var reader = await again.ExecuteReaderAsync())
            foreach (var w in missing)
            {
                w.Drawn = await Drawn(reader, w.Events.Count);
                await reader.NextResultAsync();
                await reader.ReadAsync();
                if (w.Drawn.Sequences.Length == 0) w.Drawn = (reader.GetInt64(0), default, []);
                await reader.NextResultAsync();
            }
    }

    /// <summary>The writer's statements are prepared, but PostgreSQL plans a prepared statement again at every execution
    /// while it judges a plan for the parameters' values cheaper than a generic one: for these array inserts and the
    /// version's update it always did, a sixth of its time on the appends (perf). Their plans cannot depend on the
    /// values (keys and arrays), so the transaction plans each once per connection.</summary>
    private static NpgsqlBatchCommand GenericPlans => new("set local plan_cache_mode = force_generic_plan");

    private static async Task<(long, DateTimeOffset, long[])> Drawn(NpgsqlDataReader reader, int count)
    {
        var sequences = new long[count];
        var (current, recordedAt, drawn) = (0L, default(DateTimeOffset), 0);
        for (; await reader.ReadAsync(); drawn++)
            (current, recordedAt, sequences[drawn]) = (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2));
        return drawn == 0 ? (0, default, []) : (current, recordedAt, sequences);
    }

    /// <summary>A restore's sequences in the store: tombstones where its file has none (as in the ledger it was exported
    /// from, whose failed writes left them, or the pairs an export of one pair leaves out), and the store's sequence
    /// past its last, so that new writes draw after it.</summary>
    private void AddRestoredSequences(NpgsqlBatch batch, IReadOnlyList<(long From, long To)> gaps, long last)
    {
        if (gaps.Count > 0) AddTombstones(batch, [.. gaps.Select(g => g.From)], [.. gaps.Select(g => g.To)]);
        batch.BatchCommands.Add(Command($"select setval('{Schema}.mt_events_sequence', $1) where $1 > (select case when is_called then last_value else 0 end from {Schema}.mt_events_sequence)", last));
    }

    /// <summary>Marten's tombstone events at every sequence from each of <paramref name="from"/> to its <paramref name="to"/>.</summary>
    private void AddTombstones(NpgsqlBatch batch, long[] from, long[] to)
    {
        batch.BatchCommands.Add(EnsureStream(Tombstone.StreamKey));
        // an existing row is left unlocked by the insert: lock it as the foreign key's check would (the writer's sessions
        // may leave that check out)
        batch.BatchCommands.Add(Command($"select 1 from {Schema}.mt_streams where id = $1 for key share", Tombstone.StreamKey));
        batch.BatchCommands.Add(Command(
            $"insert into {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type) select seq, gen_random_uuid(), $3, seq, '{{}}', $5, clock_timestamp(), $4 from unnest($1::bigint[], $2::bigint[]) as r(low, high), generate_series(low, high) as seq",
            from, to, Tombstone.StreamKey, $"{typeof(Tombstone).FullName}, {typeof(Tombstone).Assembly.GetName().Name}", EventRows.Tombstone));
    }

    /// <summary>Fills the sequences of a failed write with Marten's tombstone events, as Marten does for its own failed
    /// appends, so the async daemon does not wait on the gap. Best effort: the daemon skips a stale gap anyway.</summary>
    private async Task TombstonesAsync(long[] sequences)
    {
        if (sequences.Length == 0) return;
        try
        {
            // a failed write's clean-up is no hot path: its key is checked
            await using var connection = await _connections.OpenCheckedAsync();
            await using var batch = new NpgsqlBatch(connection);
            AddTombstones(batch, sequences, sequences);
            await batch.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { }
    }

    /// <summary>The stream's row, created at version 0 if the stream is new (the row the append locks).</summary>
    private NpgsqlBatchCommand EnsureStream(string id, DateTimeOffset? created = null) => created is { } at
        ? Command($"insert into {Schema}.mt_streams (id, version, created, timestamp) values ($1, 0, $2, $2) on conflict (id) do nothing", id, at)
        : Command($"insert into {Schema}.mt_streams (id, version) values ($1, 0) on conflict (id) do nothing", id);

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        return command;
    }

    private static NpgsqlParameter Jsonb(IEnumerable<string> json) => new() { Value = json.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };
}
