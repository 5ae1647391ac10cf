using System.Globalization;
using System.Text.Json.Nodes;
using Marten;
using Npgsql;
using NpgsqlTypes;
using RelationsLedger.Platform;
using RelationsLedger.Relations.Importing;
using RelationsLedger.Relations.Recording;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

public enum RecordedOrder { Asc, Desc }

public enum FeedFormat { Json, Ndjson }

/// <summary>A page of the ledger's log. <see cref="Settled"/> is the sequence below which every event there will ever
/// be is listed: a later page never finds one there.</summary>
public sealed record RecordedPage(string Order, long? After, long? Before, long Settled, JsonArray Events, string? Next);

/// <summary>The events as recorded, across pairs, in the order the ledger recorded them: facts, corrections, citations
/// and retractions each as its own item, in the export's shape (<see cref="ExportLine"/>). What a reviewer reads to see
/// what was recorded since they last looked, and by whom; what a consumer polls to follow the ledger.</summary>
public static class ListRecorded
{
    public const int DefaultLimit = 100, MaxLimit = 1000;

    /// <summary>Oldest first from <c>after</c> (a consumer's cursor: <c>next</c> is always where to ask again), or newest
    /// first below <c>before</c> with <c>order=desc</c> (a reviewer's list: <c>next</c> is null at the first event). Only
    /// up to the settled sequence: a write in flight may commit a sequence below one already committed, and a cursor
    /// past it would never see it.</summary>
    [WolverineGet("/api/events")]
    public static async Task<IResult> Get(string? after, string? before, string? order, string? limit, string? pair, string? types, string? recordedBy,
        string? format, HttpRequest request, IQuerySession session, CancellationToken ct)
    {
        var problems = new Problems();
        var newestFirst = Reading.ParseChoice<RecordedOrder>(order, "order", problems) == RecordedOrder.Desc;
        var (afterSequence, beforeSequence) = (ParseSequence(after, "after", problems), ParseSequence(before, "before", problems));
        if (afterSequence is not null && newestFirst) problems.Add("after", "Newest first (order=desc), the cursor is 'before'.");
        if (beforeSequence is not null && !newestFirst) problems.Add("before", "'before' lists newest first: give order=desc with it.");
        var size = DefaultLimit;
        if (limit is not null && !(int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) && size is >= 1 and <= MaxLimit))
            problems.Add("limit", $"Must be a whole number from 1 to {MaxLimit}.");
        Pair? only = null;
        if (pair is not null && !Pair.TryParse(pair, out only)) problems.Add("pair", "Not two ISO 3166-1 alpha-2 codes joined by '-', e.g. US-BY.");
        var typeList = ParseTypes(types, problems);
        if (recordedBy is not null && !Stamp.IsWriterName(recordedBy))
            problems.Add("recordedBy", $"A writer's name (an API key's name, seed:FILE or import): {Stamp.WriterRule}.");
        var ndjson = Reading.ParseChoice<FeedFormat>(format, "format", problems) == FeedFormat.Ndjson;
        if (problems.Count > 0) return LedgerResults.Invalid(problems, "Invalid query.");

        var settled = await RecordedHorizon.Of(session.DocumentStore).SettleDrawnAsync(ct);
        // a page changes only when the settled sequence moves: a poll with nothing new recorded is a 304, no rows read
        if (ReadCache.NotModified(request.HttpContext, ReadCache.Tag(request, settled), immutable: false)) return ReadCache.Unchanged;
        var rows = EventRows.Of(session.DocumentStore);
        var events = new JsonArray();
        long? last = null;
        var more = false;
        await foreach (var (sequence, line) in LinesAsync(session, Command(rows, newestFirst, newestFirst ? beforeSequence : afterSequence, settled, only, typeList, recordedBy, size + 1), ct))
        {
            // the row past the page says there is more
            if (events.Count == size) { more = true; break; }
            events.Add(line);
            last = sequence;
        }
        // oldest first, the next link is where to ask again, past what this page saw; newest first, it ends at the first
        var next = newestFirst
            ? more ? Reading.NextLink(request, [("before", $"{last}")], "after") : null
            : Reading.NextLink(request, [("after", $"{(more ? last : Math.Max(settled, afterSequence ?? 0))}")], "before");
        if (!ndjson)
            return TypedResults.Ok(new RecordedPage(newestFirst ? "desc" : "asc", newestFirst ? null : afterSequence ?? 0, beforeSequence, settled, events, next));
        // lines `import` reads back (`--as-recorded` into an empty ledger, oldest first); the next page in a link header
        if (next is not null) request.HttpContext.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        return Results.Text(string.Concat(events.Select(e => e!.ToJsonString() + "\n")), "application/x-ndjson; charset=utf-8");
    }

    /// <summary>The page's rows after (oldest first) or before (newest first) <paramref name="cursor"/>, up to
    /// <paramref name="settled"/>: along the table's key in sequence order, or, for one pair, along its (stream,
    /// version) index in version order — a pair's versions grow with its sequences — from the cursor's version, found
    /// by the table's key when the cursor is an event of the pair (as a page of it leaves it), so no page walks the
    /// pair's rows on the far side of the cursor.</summary>
    internal static NpgsqlCommand Command(EventRows rows, bool newestFirst, long? cursor, long settled, Pair? pair, Type[]? types, string? writer, int take)
    {
        var command = new NpgsqlCommand();
        string Add<T>(T value, NpgsqlDbType? dbType = null)
        {
            var parameter = new NpgsqlParameter<T> { TypedValue = value };
            if (dbType is { } t) parameter.NpgsqlDbType = t;
            command.Parameters.Add(parameter);
            return $"${command.Parameters.Count}";
        }
        var table = $"{rows.Schema}.mt_events";
        var upTo = Add(newestFirst && cursor is { } before ? Math.Min(before - 1, settled) : settled);
        var sql = $"select seq_id, stream_id, version, timestamp, type, {EventRows.WriterColumn}, data from {table} where seq_id <= {upTo} and type <> '{EventRows.Tombstone}'";
        var orderBy = "seq_id";
        if (pair is null)
        {
            if (!newestFirst) sql += $" and seq_id > {Add(cursor ?? 0)}";
        }
        else
        {
            var stream = Add(pair.Id, NpgsqlDbType.Varchar);
            var at = Add(cursor ?? 0);
            // the pair's last version at or below a sequence (a walk back from its newest, when the cursor is not its event)
            string LastVersion(string sequence) => $"(select max(version) from {table} where stream_id = {stream} and seq_id <= {sequence})";
            sql += $" and stream_id = {stream} and version " + (newestFirst
                ? $"<= coalesce((select version - 1 from {table} where seq_id = {at} and stream_id = {stream}), {LastVersion(upTo)}, 0)"
                : $"> coalesce((select version from {table} where seq_id = {at} and stream_id = {stream}), {LastVersion(at)}, 0)");
            orderBy = "version";
        }
        // the types written out, not a parameter: prepared, a statement is planned once for any values after five runs,
        // and a plan for any types walks the log in sequence order (a type's own rows are the way to a rare one)
        if (types is not null) sql += $" and type in ({string.Join(", ", types.Select(t => $"'{rows.StoredName(t)}'"))})";
        // written out too: a ledger has few writers, one of which wrote nearly everything, and a plan for any writer walks the
        // log for a rare one instead of reading its rows from the writer's index (which leaves out the import verb's dense
        // rows: a page of them walks the log, past what other writers recorded since)
        if (writer is not null) sql += $" and {EventRows.WriterColumn} = {Literal(writer)}";
        command.CommandText = sql + $" order by {orderBy} {(newestFirst ? "desc" : "asc")} limit {Add(take)}";
        return command;
    }

    /// <summary><paramref name="text"/> as an SQL string literal, whatever the server's <c>standard_conforming_strings</c>.</summary>
    internal static string Literal(string text) => $"E'{text.Replace("\\", "\\\\").Replace("'", "''")}'";

    /// <summary>The events a <see cref="Command"/> selects, each with its sequence and as its export line.</summary>
    internal static async IAsyncEnumerable<(long Sequence, JsonObject Line)> LinesAsync(IQuerySession session, NpgsqlCommand command,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var rows = EventRows.Of(session.DocumentStore);
        await using (command)
        await using (var reader = await session.ExecuteReaderAsync(command, ct))
            while (await reader.ReadAsync(ct))
            {
                var (sequence, stream, version, at) = (reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
                var (type, writer) = (reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                // the data column last: reading a column after its stream is opened disposes the stream
                var e = rows.Read(type, reader.GetStream(6), sequence, at, version);
                yield return (sequence, ExportLine.Of(stream, e.Event, sequence, version, at, writer));
            }
    }

    private static long? ParseSequence(string? text, string field, Problems problems)
    {
        if (text is null) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)) return sequence;
        problems.Add(field, "Must be an event's sequence: a whole number from 0.");
        return null;
    }

    /// <summary>The types asked for (any of the catalog, provenance too), named in any case; null: every type.</summary>
    private static Type[]? ParseTypes(string? types, Problems problems) =>
        Reading.ParseTypes(types, problems) is { Count: > 0 } asked ? [.. asked.Select(t => t.ClrType)] : null;
}
