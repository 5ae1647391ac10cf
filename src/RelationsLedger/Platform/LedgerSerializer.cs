using System.Data.Common;
using Weasel.Core;
using Weasel.Storage;

namespace RelationsLedger.Platform;

/// <summary>Marten's System.Text.Json serializer, configured as the ledger's JSON (<see cref="Relations.LedgerJson"/>),
/// that deserializes a column of a row already read whole in one synchronous call. Marten's async daemon reads
/// every event through <c>FromJsonAsync</c>, which streams the column through System.Text.Json's async reader — made
/// for network streams, not a row in memory (Marten's readers are not sequential: the row is buffered before it is
/// read): catching up 1,101,000 events took 7 % more CPU with it. A stream given as such still goes async.</summary>
public sealed class LedgerSerializer : Marten.Services.SystemTextJsonSerializer, Marten.ISerializer
{
    public LedgerSerializer()
    {
        EnumStorage = EnumStorage.AsString;
        Casing = Casing.CamelCase;
        Configure(json => Relations.LedgerJson.Configure(json));
    }

    // the column's stream is closed once read, as Marten's async read closes it: the reader opens one stream at a time
    ValueTask<object> IStorageSerializer.FromJsonAsync(Type type, DbDataReader reader, int index, CancellationToken cancellationToken)
    {
        using var stream = reader.GetStream(index);
        return new(FromJson(type, stream));
    }

    ValueTask<T> IStorageSerializer.FromJsonAsync<T>(DbDataReader reader, int index, CancellationToken cancellationToken)
    {
        using var stream = reader.GetStream(index);
        return new(FromJson<T>(stream));
    }
}
