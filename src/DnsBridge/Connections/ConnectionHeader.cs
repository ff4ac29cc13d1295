using System.Buffers;

namespace DnsBridge.Connections;

/// <summary>
/// The bytes a connection sent before it was routed (a PROXY header, a ClientHello), read into one rented buffer.
/// Its only owner is the connection's handler, which disposes it once those bytes have gone to the target: the
/// buffer is returned to the pool there and only there, before the relay starts.
/// </summary>
internal sealed class ConnectionHeader(ArrayPool<byte>? pool = null) : IDisposable
{
    private readonly ArrayPool<byte> _pool = pool ?? ArrayPool<byte>.Shared;
    private byte[]? _buffer;

    /// <summary>Null until <see cref="Rent"/>: a connection that is slow to start holds no buffer.</summary>
    public byte[]? Buffer => _buffer;

    /// <summary>How many bytes of <see cref="Buffer"/> were read and not consumed.</summary>
    public int Filled { get; set; }

    /// <summary>What was read and is still to be sent to the target.</summary>
    public ReadOnlyMemory<byte> Bytes => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, Filled);

    public void Rent(int size) => _buffer ??= _pool.Rent(size);

    /// <summary>Moves what was read into a buffer of at least <paramref name="size"/> bytes.</summary>
    public byte[] Grow(int size)
    {
        var larger = _pool.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, Filled).CopyTo(larger);
            _pool.Return(_buffer);
        }

        _buffer = larger;
        return larger;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            _pool.Return(_buffer);
            _buffer = null;
        }

        Filled = 0;
    }
}
