using System.Buffers;
using System.IO.Pipelines;
using DnsBridge.Connections;

namespace DnsBridge.UnitTests.Connections;

/// <summary>
/// A relay side in memory: what the peer writes to <see cref="Peer"/> the relay reads, what the relay sends the peer
/// reads. Disposed, it fails as a closed socket does (<see cref="ObjectDisposedException"/>).
/// </summary>
internal sealed class MemoryRelayEnd : IRelayEnd
{
    private readonly Pipe _inbound = new();
    private readonly Pipe _outbound = new();
    private volatile bool _disposed;

    /// <summary>The far side: writes reach the relay, reads get what the relay sent.</summary>
    public IDuplexPipe Peer => new DuplexPipe(_outbound.Reader, _inbound.Writer);

    public bool Disposed => _disposed;

    public async ValueTask WaitForDataAsync()
    {
        var result = await ReadAsync();
        _inbound.Reader.AdvanceTo(result.Buffer.Start);
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        var result = await ReadAsync();
        var count = (int)Math.Min(result.Buffer.Length, buffer.Length);
        result.Buffer.Slice(0, count).CopyTo(buffer.Span);
        _inbound.Reader.AdvanceTo(result.Buffer.GetPosition(count));
        return count;
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _outbound.Writer.WriteAsync(data);
    }

    public void ShutdownSend()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _outbound.Writer.Complete();
    }

    public void Shutdown()
    {
        if (!_disposed)
        {
            _outbound.Writer.Complete();
            _inbound.Writer.Complete();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _inbound.Reader.CancelPendingRead();
        _outbound.Writer.Complete();
    }

    private async ValueTask<ReadResult> ReadAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = await _inbound.Reader.ReadAsync();
        ObjectDisposedException.ThrowIf(result.IsCanceled || _disposed, this);
        return result;
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
