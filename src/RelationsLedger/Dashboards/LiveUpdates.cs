using System.Text.Json;
using Marten;
using RelationsLedger.Platform;
using RelationsLedger.Relations;
using Wolverine.Http;

namespace RelationsLedger.Dashboards;

public static class LiveUpdates
{
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>Server-sent events: "appended" whenever the pair's stream grows. It polls the stream's version, so an
    /// append through any node of the cluster reaches every open page.</summary>
    [WolverineGet("/api/relations/{pair}/live")]
    public static async Task Get(string pair, HttpContext context, IDocumentStore store, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p))
        {
            await LedgerResults.BadPair(pair).ExecuteAsync(context);
            return;
        }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.WriteAsync(": live\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
        long? seen = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await using (var session = store.QuerySession())
                {
                    var last = (await session.Events.QueryAllRawEvents().Where(e => e.StreamKey == p.Id)
                        .OrderByDescending(e => e.Sequence).Take(1).ToListAsync(ct)).FirstOrDefault();
                    var sequence = last?.Sequence ?? 0;
                    if (seen is not null && sequence != seen)
                    {
                        var data = JsonSerializer.Serialize(new { pair = p.Id, sequence, eventId = last?.Id });
                        await context.Response.WriteAsync($"event: appended\ndata: {data}\n\n", ct);
                        await context.Response.Body.FlushAsync(ct);
                    }
                    seen = sequence;
                }
                await Task.Delay(Poll, ct);
            }
        }
        catch (OperationCanceledException) { }
    }
}
