using System.Buffers;

namespace DnsBridge.Mirror;

/// <summary>
/// Keeps a copy of the first <c>max</c> bytes that pass through, and whether everything fit. Never blocks, never
/// changes what passes: the client's bytes move exactly as without it.
/// </summary>
/// <remarks>
/// The bytes live in arrays of the shared pool, grown as they come and given back by <see cref="Dispose"/>: a fresh
/// 16 KiB buffer for each side of each copy was most of what mirroring allocated, and on a proxy at full load the
/// collections that paid for it came out of the clients' throughput (issue 26). Whoever keeps the bytes past the
/// exchange takes a copy of exactly their length (<see cref="ToArray"/>).
/// </remarks>
internal sealed class CaptureBuffer(int max) : IDisposable
{
    private const int FirstSize = 1024;
    private byte[]? _array;
    private int _count;
    private bool _disposed;

    public bool Overflowed { get; private set; }

    /// <summary>The bytes so far; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Bytes => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, _count);

    public void Append(ReadOnlySpan<byte> data)
    {
        // After Dispose nothing is kept: a late write must never reach an array the pool may have lent to another.
        if (Overflowed || _disposed || data.IsEmpty)
        {
            return;
        }

        if (_count + data.Length > max)
        {
            Overflowed = true;
            Dispose();
            return;
        }

        if (_array is null || _array.Length - _count < data.Length)
        {
            Grow(_count + data.Length);
        }

        data.CopyTo(_array.AsSpan(_count));
        _count += data.Length;
    }

    /// <summary>The bytes, in an array of their own that outlives <see cref="Dispose"/>.</summary>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Gives the array back to the pool; what was captured is gone and nothing more is kept (<see cref="Overflowed"/> stays).</summary>
    public void Dispose()
    {
        _disposed = true;
        var array = _array;
        _array = null;
        _count = 0;
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_array))]
    private void Grow(int needed)
    {
        var size = Math.Min(max, Math.Max(needed, Math.Max(FirstSize, (_array?.Length ?? 0) * 2)));
        var grown = ArrayPool<byte>.Shared.Rent(size);
        if (_array is not null)
        {
            _array.AsSpan(0, _count).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = grown;
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
