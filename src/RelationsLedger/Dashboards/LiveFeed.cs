using System.Diagnostics.Metrics;
using Marten;
using RelationsLedger.Relations;

namespace RelationsLedger.Dashboards;

/// <summary>The newest event of every pair some live stream watches, read by one poll for them all: each open stream
/// had polled its own pair twice a second (200 open pages, 400 queries a second), and none of them ended when the app
/// stopped, which then waited out its 30 s shutdown timeout. A stream waits on its pair's <see cref="Newest"/> for the
/// next one; the streams open at once are capped in all and per client, since each holds a connection for as long as
/// its page is open.</summary>
public sealed class LiveFeed
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>A pair's newest event as one poll read it (sequence 0: none yet); <see cref="Next"/> completes with the
    /// reading that changes it.</summary>
    public sealed record Newest(long Sequence, Guid? EventId)
    {
        private readonly TaskCompletionSource<Newest> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<Newest> Next => _next.Task;
        internal void Moved(Newest next) => _next.TrySetResult(next);
    }

    /// <summary>Not read yet: its <see cref="Newest.Next"/> is the first reading.</summary>
    private static Newest Unread() => new(-1, null);

    internal sealed class Watch
    {
        public int Streams;
        public Newest Current = Unread();
    }

    private readonly IDocumentStore _store;
    private readonly ILogger<LiveFeed> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byClient = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private Task? _poller;
    private int _open;
    private bool _failing;

    public LiveFeed(IDocumentStore store, IHostApplicationLifetime lifetime, IConfiguration configuration, IMeterFactory meters, ILogger<LiveFeed> logger)
    {
        (_store, _logger, Stopping) = (store, logger, lifetime.ApplicationStopping);
        MaxStreams = Math.Max(1, configuration.GetValue("Ledger:Live:MaxStreams", 1000));
        MaxStreamsPerClient = Math.Max(1, configuration.GetValue("Ledger:Live:MaxStreamsPerClient", 32));
        Heartbeat = TimeSpan.FromSeconds(Math.Max(0.1, configuration.GetValue("Ledger:Live:HeartbeatSeconds", 15.0)));
        meters.Create(Platform.LedgerMetrics.MeterName).CreateObservableGauge("ledger.live.streams", () => Volatile.Read(ref _open), "{stream}", "Live update streams open");
    }

    public int MaxStreams { get; }
    public int MaxStreamsPerClient { get; }

    /// <summary>How long a stream may stay silent: a comment line then keeps proxies from closing it as idle.</summary>
    public TimeSpan Heartbeat { get; }

    /// <summary>The app's stop: every stream ends with it, so an open page does not hold the stop up.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>For tests: the polls run so far (one query each, however many streams are open).</summary>
    internal int Polls;

    /// <summary>A stream of <paramref name="pair"/> for <paramref name="client"/>, or why not: the client has
    /// <see cref="MaxStreamsPerClient"/> open (429), or the app <see cref="MaxStreams"/> (503).</summary>
    public (Subscription? Subscription, int Refused) Subscribe(Pair pair, string client)
    {
        lock (_gate)
        {
            var mine = _byClient.GetValueOrDefault(client);
            if (mine >= MaxStreamsPerClient) return (null, StatusCodes.Status429TooManyRequests);
            if (_open >= MaxStreams) return (null, StatusCodes.Status503ServiceUnavailable);
            _byClient[client] = mine + 1;
            _open++;
            if (!_watches.TryGetValue(pair.Id, out var watch))
            {
                _watches[pair.Id] = watch = new Watch();
                // a new pair is read at once, not at the next tick: what its stream announces is what comes after that
                if (_wake.CurrentCount == 0) _wake.Release();
            }
            watch.Streams++;
            if (_poller is null || _poller.IsCompleted) _poller = Task.Run(PollAsync);
            return (new Subscription(this, pair.Id, client, watch), 0);
        }
    }

    private void Unsubscribe(string pair, string client)
    {
        lock (_gate)
        {
            _open--;
            if (--_byClient[client] == 0) _byClient.Remove(client);
            if (--_watches[pair].Streams == 0) _watches.Remove(pair);
        }
    }

    /// <summary>One query a tick for every watched pair's newest event (the stream-and-version index, a step a pair);
    /// it ends when no stream is open, or the app stops. A database that does not answer leaves the streams open and
    /// silent but for their heartbeats, and is tried again at every tick.</summary>
    private async Task PollAsync()
    {
        while (!Stopping.IsCancellationRequested)
        {
            string[] pairs;
            lock (_gate)
            {
                if (_watches.Count == 0)
                {
                    _poller = null;
                    return;
                }
                pairs = [.. _watches.Keys];
            }
            try
            {
                var read = await ReadAsync(pairs);
                Interlocked.Increment(ref Polls);
                lock (_gate)
                    foreach (var (pair, newest) in read)
                        if (_watches.TryGetValue(pair, out var watch) && watch.Current.Sequence != newest.Sequence)
                        {
                            var before = watch.Current;
                            watch.Current = newest;
                            before.Moved(newest);
                        }
                if (_failing) _logger.LogInformation("Live updates read the database again.");
                _failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException || !Stopping.IsCancellationRequested)
            {
                if (!_failing) _logger.LogWarning("Live updates cannot read the database ({Reason}); the streams stay open and it is tried again every {Poll} ms.", e.Message, Poll.TotalMilliseconds);
                _failing = true;
            }
            try { await _wake.WaitAsync(Poll, Stopping); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task<List<(string Pair, Newest Newest)>> ReadAsync(string[] pairs)
    {
        await using var session = _store.QuerySession();
        await using var command = new Npgsql.NpgsqlCommand(
            $"select p.id, e.seq_id, e.id from unnest($1::varchar[]) as p(id) left join lateral ({Relations.Replaying.Reading.NewestSql(session, "seq_id, id", "p.id")}) e on true")
        {
            Parameters = { new Npgsql.NpgsqlParameter<string[]> { TypedValue = pairs } },
        };
        await using var reader = await session.ExecuteReaderAsync(command, Stopping);
        var read = new List<(string, Newest)>(pairs.Length);
        while (await reader.ReadAsync(Stopping))
            read.Add((reader.GetString(0), reader.IsDBNull(1) ? new Newest(0, null) : new Newest(reader.GetInt64(1), reader.GetGuid(2))));
        return read;
    }

    /// <summary>An open stream's place in the feed; disposing it closes it.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly LiveFeed _feed;
        private readonly string _pair, _client;
        private readonly Watch _watch;
        private int _disposed;

        internal Subscription(LiveFeed feed, string pair, string client, Watch watch) => (_feed, _pair, _client, _watch) = (feed, pair, client, watch);

        /// <summary>The pair's newest event as last read (sequence −1 before the first reading, which its
        /// <see cref="Newest.Next"/> brings).</summary>
        public Newest Current
        {
            get { lock (_feed._gate) return _watch.Current; }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _feed.Unsubscribe(_pair, _client);
        }
    }
}
