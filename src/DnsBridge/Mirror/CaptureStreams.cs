using System.Buffers;

namespace DnsBridge.Mirror;

/// <summary>
/// Keeps a copy of the first <c>max</c> bytes that pass through, and whether everything fit. Never blocks, never
/// changes what passes: the client's bytes move exactly as without it.
/// </summary>
internal sealed class CaptureBuffer(int max)
{
    private readonly ArrayBufferWriter<byte> _bytes = new(Math.Min(Math.Max(max, 1), 16 * 1024));

    public bool Overflowed { get; private set; }

    public ReadOnlyMemory<byte> Bytes => _bytes.WrittenMemory;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (Overflowed || data.IsEmpty)
        {
            return;
        }

        if (_bytes.WrittenCount + data.Length > max)
        {
            Overflowed = true;
            return;
        }

        _bytes.Write(data);
    }
}

/// <summary>The client's request body as YARP reads it, teed into a <see cref="CaptureBuffer"/>.</summary>
internal sealed class TeeReadStream(Stream inner, CaptureBuffer buffer) : Stream
{
    public Stream Inner => inner;

    public CaptureBuffer Buffer => buffer;

    /// <summary>True once the body was read to its end.</summary>
    public bool Ended { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] data, int offset, int count) => Seen(data.AsSpan(offset, inner.Read(data, offset, count)));

    public override int Read(Span<byte> data)
    {
        var read = inner.Read(data);
        return Seen(data[..read]);
    }

    public override async Task<int> ReadAsync(byte[] data, int offset, int count, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(data.AsMemory(offset, count), cancellationToken);
        return Seen(data.AsSpan(offset, read));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> data, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(data, cancellationToken);
        return Seen(data.Span[..read]);
    }

    private int Seen(Span<byte> read)
    {
        if (read.IsEmpty)
        {
            Ended = true;
        }

        buffer.Append(read);
        return read.Length;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] data, int offset, int count) => throw new NotSupportedException();
}

/// <summary>The source's response body as YARP writes it to the client, teed into a <see cref="CaptureBuffer"/>.</summary>
internal sealed class TeeWriteStream(Stream inner, CaptureBuffer buffer) : Stream
{
    public Stream Inner => inner;

    public CaptureBuffer Buffer => buffer;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] data, int offset, int count)
    {
        inner.Write(data, offset, count);
        buffer.Append(data.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        inner.Write(data);
        buffer.Append(data);
    }

    public override async Task WriteAsync(byte[] data, int offset, int count, CancellationToken cancellationToken)
    {
        await inner.WriteAsync(data.AsMemory(offset, count), cancellationToken);
        buffer.Append(data.AsSpan(offset, count));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(data, cancellationToken);
        buffer.Append(data.Span);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] data, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
