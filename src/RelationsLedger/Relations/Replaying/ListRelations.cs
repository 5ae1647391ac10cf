using Marten;
using Wolverine.Http;

namespace RelationsLedger.Relations.Replaying;

public sealed record RelationListing(string Pair, int EventCount, Occurrence? FirstEventOn, Occurrence? LastEventOn, long Sequence);

public static class ListRelations
{
    /// <summary>Every pair with its event counts and first/last event dates (from the async summary projection), read
    /// from the summaries' columns, not their states (≈ 270 KB of JSON a pair in the benchmark's ledger: 0.8–1.2 s for
    /// 200 pairs). A summary stored before those columns existed has them empty until the projection next writes it:
    /// its JSON answers for them.</summary>
    [WolverineGet("/api/relations")]
    public static async Task<IResult> Get(IQuerySession session, CancellationToken ct)
    {
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        var relations = new List<RelationListing>();
        await using var reader = await session.ExecuteReaderAsync(new Npgsql.NpgsqlCommand(
            $"select id, coalesce(event_count, (data->'state'->>'eventCount')::int), coalesce(first_on, data->>'firstEventOn'), " +
            $"coalesce(last_on, data->>'lastEventOn'), coalesce(sequence, (data->>'sequence')::bigint) from {schema}.mt_doc_relationshipsummary order by id"), ct);
        while (await reader.ReadAsync(ct))
            relations.Add(new RelationListing(reader.GetString(0), reader.GetInt32(1), Date(reader, 2), Date(reader, 3), reader.GetInt64(4)));
        return TypedResults.Ok(new { relations });
    }

    private static Occurrence? Date(System.Data.Common.DbDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : Occurrence.Parse(reader.GetString(column));
}
