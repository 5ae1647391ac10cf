using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RelationsLedger.Platform;

namespace RelationsLedger.Tests.Unit;

/// <summary>A JSON body is read into a pooled buffer: whole, however it arrives, with or without its length, and
/// refused past the limit.</summary>
public sealed class RequestBodyTests
{
    [Theory]
    [InlineData(2, true)]
    [InlineData(16_383, false)]
    [InlineData(16_384, false)]
    [InlineData(16_385, false)]
    [InlineData(100_000, false)]
    [InlineData(100_000, true)]
    [InlineData(LedgerHttp.MaxBodyBytes, false)]
    [InlineData(LedgerHttp.MaxBodyBytes, true)]
    public async Task a_body_is_read_whole_however_it_arrives(int size, bool withLength)
    {
        var json = Json(size, Random.Shared.Next());
        var (body, problem) = await LedgerResults.ReadJson(Request(json, withLength, Random.Shared.Next()), TestContext.Current.CancellationToken);
        Assert.Null(problem);
        using (body)
            Assert.Equal(Encoding.UTF8.GetString(json), body!.RootElement.GetRawText());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_body_past_the_limit_is_413(bool withLength)
    {
        var (body, problem) = await LedgerResults.ReadJson(Request(Json(LedgerHttp.MaxBodyBytes + 1, 1), withLength, 1), TestContext.Current.CancellationToken);
        Assert.Null(body);
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();
        await problem!.ExecuteAsync(context);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, context.Response.StatusCode);
    }

    /// <summary>A JSON string of exactly <paramref name="size"/> bytes whose text differs at every position and from run
    /// to run, so that a byte lost or left stale in a reused buffer cannot read as the right one.</summary>
    private static byte[] Json(int size, int seed)
    {
        var random = new Random(seed);
        var text = new char[size];
        text[0] = text[^1] = '"';
        for (var i = 1; i < size - 1; i++) text[i] = (char)random.Next('a', 'z' + 1);
        return Encoding.UTF8.GetBytes(text);
    }

    private static HttpRequest Request(byte[] json, bool withLength, int seed)
    {
        var request = new DefaultHttpContext().Request;
        request.ContentType = "application/json";
        request.Body = new Trickle(json, new Random(seed));
        if (withLength) request.ContentLength = json.Length;
        return request;
    }

    /// <summary>A body as a network hands it over: in pieces of any size up to what the reader asks for.</summary>
    private sealed class Trickle(byte[] data, Random random) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), random.Next(1, 6_000));
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
