using System.Buffers;

namespace RelationsLedger.Platform;

/// <summary>A buffer writer over arrays rented from the shared pool, <paramref name="initialSize"/> bytes to begin
/// with (an answer of 250 KB would otherwise be a new large-object-heap array per request), grown by doubling.</summary>
internal sealed class PooledBuffer(int initialSize = 64 * 1024) : IBufferWriter<byte>, IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(initialSize);
    private int _written;

    public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_written);

    private byte[] Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        return _array.Length - _written >= needed ? _array : _array = Grown(_array, _written, needed);
    }

    /// <summary>A pooled array twice as large (or as large as <paramref name="needed"/> more bytes want) holding the
    /// first <paramref name="written"/> bytes of <paramref name="array"/>, which goes back to the pool.</summary>
    public static byte[] Grown(byte[] array, int written, int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(array.Length * 2, written + needed));
        array.AsSpan(0, written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(array);
        return larger;
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
}
