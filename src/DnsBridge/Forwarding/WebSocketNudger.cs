using System.Buffers.Binary;
using Microsoft.AspNetCore.Http.Features;

namespace DnsBridge.Forwarding;

/// <summary>
/// Closes proxied WebSockets of a cutover with status 1001 (going away) once propagation is complete and the
/// socket has been open for <c>Drain.WebSocketGrace</c> since then, so the client reconnects through fresh DNS.
/// YARP copies the upgraded streams as opaque bytes; the client-side stream is wrapped so that the close frame is
/// written between two server frames, never inside one.
/// </summary>
internal sealed class WebSocketNudger : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<NudgeableStream, NudgeSwitch> _open = new();

    public WebSocketNudger(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>How long a nudged socket may take to finish its closing handshake before it is cut.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Wraps the upgrade of one WebSocket request so its client stream can be nudged.</summary>
    public void Track(HttpContext context, NudgeSwitch nudge, TimeSpan grace)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new UpgradeFeature(upgrade, stream =>
            {
                var wrapped = new NudgeableStream(stream, context, grace, this);
                _open[wrapped] = nudge;
                return wrapped;
            }));
        }
    }

    internal void Forget(NudgeableStream stream) => _open.TryRemove(stream, out _);

    /// <summary>Runs every second: starts grace periods, sends due close frames, cuts sockets that never closed.</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (stream, nudge) in _open)
        {
            if (!nudge.PropagationComplete)
            {
                stream.GraceStartedAt = null;
                continue;
            }

            stream.GraceStartedAt ??= now;
            if (stream.CloseRequestedAt is { } requested)
            {
                if (now - requested >= CloseTimeout)
                {
                    stream.Context.Abort();
                    Forget(stream);
                }
            }
            else if (now - stream.GraceStartedAt >= stream.Grace)
            {
                stream.CloseRequestedAt = now;
                nudge.Count(NudgeKind.WebSocket);
                _ = stream.RequestCloseAsync();
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class UpgradeFeature(IHttpUpgradeFeature inner, Func<Stream, Stream> wrap) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => wrap(await inner.UpgradeAsync());
    }
}

/// <summary>
/// The client side of a proxied WebSocket. Writes (server to client frames) are parsed just enough to know where
/// one frame ends, so a close frame can be injected at a boundary.
/// </summary>
internal sealed class NudgeableStream(Stream inner, HttpContext context, TimeSpan grace, WebSocketNudger owner) : Stream
{
    private static readonly byte[] GoingAway = [0x88, 0x02, 0x03, 0xE9]; // FIN+close, length 2, status 1001
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private long _payloadLeft;
    private bool _closeWanted;
    private bool _closeSent;

    public HttpContext Context => context;

    public TimeSpan Grace => grace;

    public DateTimeOffset? GraceStartedAt { get; set; }

    public DateTimeOffset? CloseRequestedAt { get; set; }

    private bool AtBoundary => _headerLength == 0 && _payloadLeft == 0;

    public async Task RequestCloseAsync()
    {
        await _write.WaitAsync();
        try
        {
            _closeWanted = true;
            if (AtBoundary)
            {
                await SendCloseAsync(CancellationToken.None);
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _write.Release();
        }
    }

    private async Task SendCloseAsync(CancellationToken cancellationToken)
    {
        if (!_closeSent)
        {
            _closeSent = true;
            await inner.WriteAsync(GoingAway, cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _write.WaitAsync(cancellationToken);
        try
        {
            if (_closeSent)
            {
                // Frames after our close frame would be a protocol error for the client; the target's own
                // close reply and any late data are dropped.
                Track(buffer.Span);
                return;
            }

            await inner.WriteAsync(buffer, cancellationToken);
            Track(buffer.Span);
            if (_closeWanted && AtBoundary)
            {
                await SendCloseAsync(cancellationToken);
            }
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Advances the frame parser over bytes written to the client.</summary>
    private void Track(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, data.Length);
                _payloadLeft -= skip;
                data = data[skip..];
                continue;
            }

            _header[_headerLength++] = data[0];
            data = data[1..];
            if (_headerLength < 2)
            {
                continue;
            }

            var masked = (_header[1] & 0x80) != 0;
            var length7 = _header[1] & 0x7F;
            var needed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (_headerLength < needed)
            {
                continue;
            }

            _payloadLeft = length7 switch
            {
                126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
                127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
                _ => length7,
            };
            _headerLength = 0;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            owner.Forget(this);
            inner.Dispose();
            _write.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        owner.Forget(this);
        await inner.DisposeAsync();
        _write.Dispose();
        await base.DisposeAsync();
    }
}
