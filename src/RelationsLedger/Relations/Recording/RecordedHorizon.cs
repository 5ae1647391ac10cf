using System.Runtime.CompilerServices;
using Marten;
using Npgsql;

namespace RelationsLedger.Relations.Recording;

/// <summary>Makes "as known at an instant" an answer that cannot change later. A write stamps its recordedAt from the
/// database's clock before it commits, so for the length of its commit (seconds behind a lock or a slow disk) an event
/// recorded before an instant is not yet visible to a read as known at that instant. Every write holds a shared
/// advisory lock from before it takes the stamp until its commit (<see cref="WriterLock"/>); a read as known at an
/// instant past the settled horizon takes that lock exclusively once — it waits out the writes in flight, and the
/// writes queued behind it stamp later — and moves the horizon to the database's clock at that moment. Reads at an
/// instant before the horizon (the dashboard's slider) pay nothing.</summary>
public sealed class RecordedHorizon(IDocumentStore store)
{
    /// <summary>The advisory lock's key ("RelLedg" in ASCII): other applications' keys on a shared database do not meet it.</summary>
    private const long Key = 0x52656C4C656467;

    /// <summary>The statement a write runs after BEGIN and before anything that stamps or locks a row.</summary>
    public static NpgsqlBatchCommand WriterLock => new($"select pg_advisory_xact_lock_shared({Key})");

    private static readonly ConditionalWeakTable<IDocumentStore, RecordedHorizon> OfStore = new();

    public static RecordedHorizon Of(IDocumentStore store) => OfStore.GetValue(store, s => new RecordedHorizon(s));

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _settledTicks = DateTimeOffset.MinValue.UtcTicks;
    // when the last barrier read the database's clock (Stopwatch timestamp; 0: none yet)
    private long _barrierAt;

    /// <summary>Everything recorded at or before this instant is committed and visible.</summary>
    public DateTimeOffset Settled => new(Interlocked.Read(ref _settledTicks), TimeSpan.Zero);

    /// <summary>For tests: how many times the writers were waited out.</summary>
    internal int Barriers;

    /// <summary>Returns once every event recorded at or before <paramref name="knownAt"/> is visible to a read that
    /// starts after it (at once when there is no instant, or it is before the horizon). An instant still ahead cannot
    /// be settled — its answer is the newest one, as a read's without knownAt — so one the database's clock has not
    /// reached (its reading at the last barrier, moved on by the time since) does not hold the writers up for nothing,
    /// nor, before any barrier, one more than a minute ahead of the app's clock (the two may differ a little).</summary>
    public async Task SettleAsync(DateTimeOffset? knownAt, CancellationToken ct)
    {
        if (knownAt is not { } at || at <= Settled || Ahead(at)) return;
        await _gate.WaitAsync(ct);
        try
        {
            // a barrier that ran while this one waited may have settled it, or found it ahead
            if (at <= Settled || Ahead(at)) return;
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new("begin"),
                    new($"select pg_advisory_xact_lock({Key})"),
                    new("select clock_timestamp()"),
                    new("commit"),
                },
            };
            // taken before the clock is read: the database's clock is then never thought behind where it is
            var sent = System.Diagnostics.Stopwatch.GetTimestamp();
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            var now = reader.GetFieldValue<DateTimeOffset>(0);
            if (now.UtcTicks > Interlocked.Read(ref _settledTicks)) Interlocked.Exchange(ref _settledTicks, now.UtcTicks);
            Interlocked.Exchange(ref _barrierAt, sent);
            Interlocked.Increment(ref Barriers);
        }
        finally { _gate.Release(); }
    }

    private bool Ahead(DateTimeOffset at) => Interlocked.Read(ref _barrierAt) is var barrier and not 0
        ? at > Settled + System.Diagnostics.Stopwatch.GetElapsedTime(barrier)
        : at > DateTimeOffset.UtcNow.AddMinutes(1);
}
