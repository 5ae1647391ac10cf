using System.Buffers;
using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace RelationsLedger.Relations.Projections;

public sealed record RebuildResult(int Events, int Pairs, int TimelineRows, TimeSpan Elapsed)
{
    public double EventsPerSecond => Events / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>Rebuilds both projections from the event log in one pass: each pair's stream is read once, in sequence
/// order, resolved once and turned into rows and a summary by the same code the live projections use
/// (<see cref="TimelineEntry.Of"/>, <see cref="RelationshipSummary.Of(string, IReadOnlyList{RecordedEvent}, IReadOnlyList{ResolvedEvent})"/>), and the rows go back with COPY into the emptied tables, the timeline's
/// primary key and indexes dropped for the load and built again once. Writers wait for the duration (a share lock on the stream
/// table), so nothing recorded meanwhile can be missed; the async summary projection resumes after the last event
/// read. Stop the API nodes first: a running daemon keeps its own position in memory (the verb refuses while any checks in).</summary>
public static class Rebuild
{
    private const string SummaryShard = nameof(RelationshipSummaryProjection) + ":All";

    public static async Task<RebuildResult> RunAsync(IDocumentStore store, CancellationToken ct = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var events = EventRows.Of(store);
        var (schema, json) = (events.Schema, events.Json);

        await using var write = store.Storage.Database.CreateConnection();
        await write.OpenAsync(ct);
        await using var transaction = await write.BeginTransactionAsync(ct);
        // the summary projection's progress row first, then the tables: the order a daemon's batch takes them in (its
        // progress, then the summaries). Truncating first deadlocked with a batch in flight under --force
        await Progress(write, schema, 0, keep: true).ExecuteNonQueryAsync(ct);
        await EventRows.ExecuteAsync(write, $"lock table {schema}.mt_streams in share mode; truncate {schema}.mt_doc_timelineentry, {schema}.mt_doc_relationshipsummary", ct);
        // a summary holds every event id of its rows (megabytes for a long pair): lz4, where the server has it, compresses
        // it several times faster than the default pglz, in the single-core tail after the last row
        await using (var lz4 = new NpgsqlCommand("select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'", write))
            if (await lz4.ExecuteScalarAsync(ct) is true) await EventRows.ExecuteAsync(write, "set local default_toast_compression = lz4", ct);
        // the timeline's key and indexes are dropped for the load and built once after it (a sorted build costs less
        // than a b-tree insert per row): each as the statement that drops it and the one that makes it again, key first
        var table = $"{schema}.mt_doc_timelineentry";
        var structures = new List<(string Drop, string Create)>();
        await using (var list = new NpgsqlCommand(
            $"""
            select format('alter table {table} drop constraint %I', conname), format('alter table {table} add constraint %I %s', conname, pg_get_constraintdef(oid)), 0
            from pg_constraint where conrelid = '{table}'::regclass and contype = 'p'
            union all
            select format('drop index {schema}.%I', indexname), indexdef, 1
            from pg_indexes where schemaname = '{schema}' and tablename = 'mt_doc_timelineentry'
                and indexname not in (select conname from pg_constraint where conrelid = '{table}'::regclass and contype = 'p')
            order by 3
            """, write))
        await using (var reader = await list.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) structures.Add((reader.GetString(0), reader.GetString(1)));
        await EventRows.ExecuteAsync(write, string.Concat(structures.Select(x => x.Drop + ";")), ct);

        // read and deserialize → resolve (on every core) → rows and COPY, as a pipeline. Few streams in flight: what
        // waits in a queue outlives the young generations and makes every collection copy it
        var streams = Channel.CreateBounded<(string Pair, List<RecordedEvent> Known)>(2);
        var results = Channel.CreateBounded<(string Pair, IReadOnlyList<ResolvedEvent> Resolved, RelationshipSummary Summary, byte[] SummaryJson)>(2);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var read = Stage(streams.Writer, failed, async token =>
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(token);
            // one snapshot for every stream's query: the writers wait on the share lock taken above anyway, but the
            // read does not depend on it
            await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
            await EventRows.ExecuteAsync(connection, "set local jit = off", token);
            // the longest streams first: a stream is resolved on one core, and a long one read last went on alone
            // after everything else was done
            var ids = new List<string>();
            await using (var list = new NpgsqlCommand($"select id from {schema}.mt_streams order by version desc, id", connection))
            await using (var reader = await list.ExecuteReaderAsync(token))
                while (await reader.ReadAsync(token)) ids.Add(reader.GetString(0));
            foreach (var pair in ids)
            {
                // each stream along the (stream, version) key, which needs no sort; resolution orders it by sequence
                var known = await events.ReadAsync(connection, events.StreamCommand(pair, afterVersion: 0), token).ToListAsync(token);
                if (known.Count > 0) await streams.Writer.WriteAsync((pair, known), token);
            }
        });
        var resolve = Stage(results.Writer, failed, token =>
            Parallel.ForEachAsync(streams.Reader.ReadAllAsync(token), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = token }, async (stream, inner) =>
            {
                var resolved = Provenance.Resolve(stream.Known);
                var summary = RelationshipSummary.Of(stream.Pair, stream.Known, resolved);
                // serialized here, on every core, rather than in the tail
                var summaryJson = new ArrayBufferWriter<byte>();
                json.WriteTo(summaryJson, summary);
                await results.Writer.WriteAsync((stream.Pair, resolved, summary, summaryJson.WrittenSpan.ToArray()), inner);
            }));

        var summaries = new List<(RelationshipSummary Summary, byte[] Json)>();
        int count = 0, pairs = 0, rows = 0;
        long last = 0;
        try
        {
            await using var copy = await write.BeginBinaryImportAsync(EventRows.CopyTimeline(table), ct);
            var buffer = new ArrayBufferWriter<byte>(4096);
            await foreach (var (pair, resolved, summary, summaryJson) in results.Reader.ReadAllAsync(ct))
            {
                foreach (var row in resolved.Select(r => TimelineEntry.Of(pair, r))) await events.CopyRowAsync(copy, row, buffer, ct);
                summaries.Add((summary, summaryJson));
                (count, pairs, rows, last) = (count + summary.Events, pairs + 1, rows + resolved.Count, Math.Max(last, summary.Sequence));
            }
            await copy.CompleteAsync(ct);
        }
        catch (Exception)
        {
            // every stage stops (one waiting on a full queue would keep its connection open), and the first stage's
            // own error is the one reported, not the cancellation it caused in the others
            await failed.CancelAsync();
            await Task.WhenAll(read, resolve).ContinueWith(_ => { }, TaskScheduler.Default);
            var cause = new[] { read, resolve }.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException);
            if (cause is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        await Task.WhenAll(read, resolve);
        await using (var copy = await write.BeginBinaryImportAsync($"copy {schema}.mt_doc_relationshipsummary (id, data, mt_dotnet_type, {RelationshipSummary.ColumnNames}) from stdin (format binary)", ct))
        {
            foreach (var (summary, summaryJson) in summaries)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(summary.Id, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(summaryJson, NpgsqlDbType.Jsonb, ct);
                await copy.WriteAsync(typeof(RelationshipSummary).FullName!, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(summary.Sequence, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(summary.LastEffective, NpgsqlDbType.Date, ct);
                await copy.WriteAsync(summary.EventCount, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(summary.FirstOn, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(summary.LastOn, NpgsqlDbType.Varchar, ct);
                await copy.WriteAsync(summary.LastRecorded, NpgsqlDbType.TimestampTz, ct);
            }
            await copy.CompleteAsync(ct);
        }
        await EventRows.ExecuteAsync(write, string.Concat(structures.Select(x => x.Create + ";")), ct);
        await using (var progress = Progress(write, schema, last, keep: false)) await progress.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return new RebuildResult(count, pairs, rows, clock.Elapsed);
    }

    /// <summary>Sets the summary projection's progress row to <paramref name="sequence"/>, or with <paramref name="keep"/>
    /// only locks it (made at 0 when missing) until the transaction ends.</summary>
    private static NpgsqlCommand Progress(NpgsqlConnection connection, string schema, long sequence, bool keep) => new(
        $"insert into {schema}.mt_event_progression as p (name, last_seq_id, last_updated) values ($1, $2, now()) on conflict (name) do update set "
        + (keep ? "last_seq_id = p.last_seq_id" : "last_seq_id = excluded.last_seq_id, last_updated = now()"), connection)
    {
        Parameters = { new NpgsqlParameter { Value = SummaryShard }, new NpgsqlParameter { Value = sequence } },
    };

    /// <summary>A pipeline stage: its queue is completed when it ends, with its error if it fails, which also stops
    /// the other stages.</summary>
    private static Task Stage<T>(ChannelWriter<T> output, CancellationTokenSource failed, Func<CancellationToken, Task> work) => Task.Run(async () =>
    {
        try
        {
            await work(failed.Token);
            output.Complete();
        }
        catch (Exception ex)
        {
            output.Complete(ex);
            failed.Cancel();
            throw;
        }
    });
}
