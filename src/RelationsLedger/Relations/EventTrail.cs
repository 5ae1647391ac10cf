using System.Buffers;
using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RelationsLedger.Relations;

/// <summary>The ids of the events that shaped a row, oldest first. A row's trail only ever grows at its end, so it is
/// kept newest first as a shared chain: adding an event is one node (an immutable list copies a path of its tree),
/// every later version of the row and every checkpoint shares the older part, and the latest few (what a state answer
/// shows) are the first nodes of the chain.</summary>
[JsonConverter(typeof(EventTrailJson))]
[CollectionBuilder(typeof(EventTrail), nameof(Create))]
public sealed class EventTrail : IReadOnlyCollection<Guid>
{
    private sealed class Node(Guid id, Node? older)
    {
        public readonly Guid Id = id;
        public readonly Node? Older = older;
    }

    public static readonly EventTrail Empty = new(null, 0);

    private readonly Node? _newest;

    private EventTrail(Node? newest, int count) => (_newest, Count) = (newest, count);

    public int Count { get; }

    public EventTrail Add(Guid id) => new(new Node(id, _newest), Count + 1);

    /// <summary>The last <paramref name="count"/> ids: the same nodes, seen through a shorter window.</summary>
    public EventTrail Latest(int count) => count >= Count ? this : new(_newest, Math.Max(count, 0));

    public static EventTrail Create(ReadOnlySpan<Guid> ids)
    {
        var trail = Empty;
        foreach (var id in ids) trail = trail.Add(id);
        return trail;
    }

    /// <summary>Copies the ids, oldest first, into <paramref name="target"/> (at least <see cref="Count"/> long).</summary>
    public void CopyTo(Span<Guid> target)
    {
        var node = _newest;
        for (var i = Count - 1; i >= 0; i--, node = node.Older) target[i] = node!.Id;
    }

    public IEnumerator<Guid> GetEnumerator()
    {
        var ids = new Guid[Count];
        CopyTo(ids);
        return ((IEnumerable<Guid>)ids).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A trail is a JSON array of ids, oldest first.</summary>
public sealed class EventTrailJson : JsonConverter<EventTrail>
{
    public override EventTrail Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Expected an array of event ids.");
        var trail = EventTrail.Empty;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) trail = trail.Add(reader.GetGuid());
        return trail;
    }

    public override void Write(Utf8JsonWriter writer, EventTrail value, JsonSerializerOptions options)
    {
        var ids = ArrayPool<Guid>.Shared.Rent(value.Count);
        value.CopyTo(ids);
        writer.WriteStartArray();
        for (var i = 0; i < value.Count; i++) writer.WriteStringValue(ids[i]);
        writer.WriteEndArray();
        ArrayPool<Guid>.Shared.Return(ids);
    }
}
