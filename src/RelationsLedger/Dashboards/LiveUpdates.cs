using System.Text.Json;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using Wolverine.Http;

namespace RelationsLedger.Dashboards;

public static class LiveUpdates
{
    /// <summary>How long a client waits before it connects again after the stream ends (the app stopping, say).</summary>
    public const int RetryMilliseconds = 2000;

    /// <summary>How long a client refused for too many streams is told to wait.</summary>
    private const int RefusedRetryAfterSeconds = 30;

    /// <summary>Server-sent events: "appended" whenever the pair's stream grows, through any node of the cluster (the
    /// feed reads the database), a comment line when it has been quiet for <see cref="LiveFeed.Heartbeat"/>. The
    /// stream ends when the app stops.</summary>
    [WolverineGet("/api/relations/{pair}/live")]
    public static async Task Get(string pair, HttpContext context, LiveFeed feed, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p))
        {
            await LedgerResults.BadPair(pair).ExecuteAsync(context);
            return;
        }
        if (LedgerHttp.AskedHead(context))
        {
            AsEventStream(context.Response);
            await context.Response.StartAsync(ct);
            return;
        }
        var (subscription, refused) = feed.Subscribe(p, ApiKeyMiddleware.ClientOf(context));
        if (subscription is null)
        {
            context.Response.Headers.RetryAfter = $"{RefusedRetryAfterSeconds}";
            await LedgerResults.Problem(refused, "Too many live streams are open.", refused == StatusCodes.Status429TooManyRequests
                ? $"At most {feed.MaxStreamsPerClient} at once per key (per address without a valid one): close a page, or retry after {RefusedRetryAfterSeconds} s."
                : $"The app serves at most {feed.MaxStreams} at once: retry after {RefusedRetryAfterSeconds} s.").ExecuteAsync(context);
            return;
        }
        using var _ = subscription;
        using var open = CancellationTokenSource.CreateLinkedTokenSource(ct, feed.Stopping);
        try
        {
            AsEventStream(context.Response);
            await SendAsync($": live\nretry: {RetryMilliseconds}\n\n");
            // the first reading of the pair is where the stream starts: what is appended after it is announced
            var current = subscription.Current;
            while (true)
            {
                LiveFeed.Newest next;
                try { next = await current.Next.WaitAsync(feed.Heartbeat, open.Token); }
                catch (TimeoutException)
                {
                    await SendAsync(": quiet\n\n");
                    continue;
                }
                if (current.Sequence >= 0)
                    await SendAsync($"event: appended\ndata: {JsonSerializer.Serialize(new { pair = p.Id, sequence = next.Sequence, eventId = next.EventId })}\n\n");
                current = next;
            }
        }
        catch (OperationCanceledException) when (open.IsCancellationRequested) { }

        // each message goes out as it is written, not when a buffer fills
        async Task SendAsync(string message)
        {
            await context.Response.WriteAsync(message, open.Token);
            await context.Response.Body.FlushAsync(open.Token);
        }
    }

    private static void AsEventStream(HttpResponse response) => (response.ContentType, response.Headers.CacheControl) = ("text/event-stream", "no-cache");
}
