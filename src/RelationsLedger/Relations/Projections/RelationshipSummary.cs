using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace RelationsLedger.Relations.Projections;

/// <summary>The newest known state of each pair, for listings and the ledger's health. <see cref="LastRecorded"/> is
/// when the last of its events was recorded (null when not known: a summary stored before it was kept): a read as
/// known at that moment or later knows every event the summary folded.</summary>
public sealed record RelationshipSummary(
    string Id, RelationshipState State, long Sequence, int Events, Occurrence? FirstEventOn, DateOnly LastEffective, DateTimeOffset? LastRecorded)
{
    public Occurrence? LastEventOn => State.LastEventOn;

    /// <summary>The listing's figures (<see cref="Replaying.ListRelations"/>) as columns: not in the JSON, which has them already.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public int EventCount => State.EventCount;
    [System.Text.Json.Serialization.JsonIgnore] public string? FirstOn => FirstEventOn?.ToString();
    [System.Text.Json.Serialization.JsonIgnore] public string? LastOn => LastEventOn?.ToString();

    /// <summary>The members kept as columns of the row as well as in its JSON (every writer of rows fills them): what the
    /// summary projection needs of a stored summary before it knows whether it needs the state (see
    /// <see cref="RelationshipSummaryProjection"/>), and what the listing shows — a stored state runs to megabytes for a
    /// long sanctions history, and the listing read all of them.</summary>
    public static readonly string[] Columns = [nameof(Sequence), nameof(LastEffective), nameof(EventCount), nameof(FirstOn), nameof(LastOn), nameof(LastRecorded)];

    /// <summary><see cref="Columns"/> as Marten names them in the table, in that order.</summary>
    public const string ColumnNames = "sequence, last_effective, event_count, first_on, last_on, last_recorded";

    /// <summary>The summary of a pair's whole known stream, folded from scratch.</summary>
    public static RelationshipSummary Of(string pair, IReadOnlyList<RecordedEvent> known) => Of(pair, known, Provenance.Resolve(known));

    /// <summary>As <see cref="Of(string, IReadOnlyList{RecordedEvent})"/>, for a caller that has already resolved them
    /// (and, with <paramref name="state"/>, folded them).</summary>
    public static RelationshipSummary Of(string pair, IReadOnlyList<RecordedEvent> known, IReadOnlyList<ResolvedEvent> resolved, RelationshipState? state = null) =>
        Summarize(pair, state ?? RelationshipState.Fold(resolved, DateOnly.MaxValue), known.Count, resolved,
            known.Count == 0 ? 0 : known.Max(e => e.Sequence), known.Count == 0 ? null : known.Max(e => e.RecordedAt));

    /// <summary>The summary of a checkpointed history: its state from its newest checkpoint on, not folded from the
    /// first event (a backdated append to a long pair re-folded the whole pair for every batch of the daemon), and its
    /// newest sequence and last record as the history keeps them, not found again by walking every event.</summary>
    public static RelationshipSummary Of(string pair, CheckpointedHistory history) =>
        Summarize(pair, history.StateAt(DateOnly.MaxValue), history.Recorded.Count, history.Resolved, history.Last?.Sequence ?? 0, history.LastRecorded);

    private static RelationshipSummary Summarize(string pair, RelationshipState state, int events, IReadOnlyList<ResolvedEvent> resolved, long sequence, DateTimeOffset? lastRecorded) =>
        new(pair, state, sequence, events, resolved.FirstOrDefault(r => !r.Retracted)?.Event.OccurredOn,
            resolved.LastOrDefault(r => !r.Retracted)?.Effective ?? DateOnly.MinValue, lastRecorded);
}

/// <summary>Async: folds each pair to its newest state. Facts that arrive in date order extend the stored state with
/// <see cref="RelationshipState.Evolve"/>; a backdated fact or any provenance takes the pair's checkpointed history
/// (shared with the reads), which re-folds only from the month the change touches. That history holds every
/// committed event of the pair — a writer holds the pair's row lock from drawing its sequences to its commit, so
/// what is committed of a pair is a prefix of its sequences — and the summary records the newest it includes: the
/// daemon's later batches skip what a summary already holds, so catching up after a bulk import reads each pair's
/// stream about once instead of once per batch.</summary>
public sealed class RelationshipSummaryProjection(Replaying.HistoryCache histories, Platform.BackgroundWork? work = null) : IProjection
{
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) =>
        work is null ? ApplyEventsAsync(operations, events, cancellation) : work.RunAsync(events.Count, () => ApplyEventsAsync(operations, events, cancellation));

    private async Task ApplyEventsAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        // a failed append's sequences are filled with Marten's tombstones, which reach an untyped projection too
        var streams = events.Where(e => e.Data is LedgerEvent).GroupBy(e => e.StreamKey!).ToList();
        var stored = await StoredAsync(operations, streams.Select(s => s.Key).ToArray(), cancellation);
        foreach (var stream in streams)
        {
            var (sequence, lastEffective) = stored.GetValueOrDefault(stream.Key, (0, null));
            var fresh = stream.Where(e => e.Sequence > sequence).OrderBy(e => e.Sequence).Select(e => RecordedEvent.From(e)).ToList();
            if (fresh.Count == 0) continue;
            var inOrder = lastEffective is { } last && fresh.All(e => e.Event is DomainEvent d && d.OccurredOn.Start >= last)
                          && fresh.Zip(fresh.Skip(1)).All(p => p.First.Event.OccurredOn.Start <= p.Second.Event.OccurredOn.Start);
            // only facts that extend the stored state in date order need it: its sanctions lists run to megabytes
            var summary = inOrder ? await operations.LoadAsync<RelationshipSummary>(stream.Key, cancellation) : null;
            if (summary?.Sequence == sequence)
            {
                var state = fresh.Aggregate(summary.State, (s, e) => s.Evolve((DomainEvent)e.Event));
                operations.Store(summary with
                {
                    State = state, Sequence = fresh[^1].Sequence, Events = summary.Events + fresh.Count, FirstEventOn = summary.FirstEventOn ?? fresh[0].Event.OccurredOn,
                    LastEffective = fresh[^1].Event.OccurredOn.Start,
                    LastRecorded = summary.LastRecorded is { } recorded ? Max(recorded, fresh.Max(e => e.RecordedAt)) : null,
                });
                continue;
            }
            if (!Pair.TryParse(stream.Key, out var pair)) continue;
            var history = await histories.LatestAsync(operations, pair, await operations.Events.FetchStreamStateAsync(stream.Key, cancellation), cancellation,
                read: false, loaded: fresh);
            operations.Store(RelationshipSummary.Of(stream.Key, history));
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Each stored summary's sequence and last effective date, from their columns: not its JSON, whose state
    /// (a megabyte for a pair with a long sanctions history) the daemon loaded for every pair of every batch — 15 % of a
    /// catch-up after a bulk import, for state that a batch with a backdated fact does not use.</summary>
    private static async Task<Dictionary<string, (long Sequence, DateOnly? LastEffective)>> StoredAsync(IQuerySession session, string[] pairs, CancellationToken ct)
    {
        var stored = new Dictionary<string, (long, DateOnly?)>(StringComparer.Ordinal);
        if (pairs.Length == 0) return stored;
        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        await using var reader = await session.ExecuteReaderAsync(new Npgsql.NpgsqlCommand(
            $"select id, {RelationshipSummary.ColumnNames} from {schema}.mt_doc_relationshipsummary where id = any($1)")
        {
            Parameters = { new Npgsql.NpgsqlParameter<string[]> { TypedValue = pairs } },
        }, ct);
        while (await reader.ReadAsync(ct))
            stored[reader.GetString(0)] = (reader.IsDBNull(1) ? 0 : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2));
        return stored;
    }
}
