using RelationsLedger.Platform;

namespace RelationsLedger.Relations.Recording;

/// <summary>What every write endpoint reads first: the pair from the route and the JSON body, within the limits.</summary>
public sealed record WriteRequest(Pair Pair, LedgerResults.RequestJson Body, DateOnly Today) : IDisposable
{
    public static async Task<(WriteRequest? Write, IResult? Problem)> ReadAsync(string pair, HttpRequest request, TimeProvider clock, CancellationToken ct)
    {
        if (!Pair.TryParse(pair, out var p)) return (null, LedgerResults.BadPair(pair));
        var (body, problem) = await LedgerResults.ReadJson(request, ct);
        return problem is not null ? (null, problem) : (new WriteRequest(p, body!, clock.Today()), null);
    }

    public void Dispose() => Body.Dispose();
}
