using System.Buffers;
using System.Net.Sockets;
using Prometheus;

namespace DnsBridge.Connections;

/// <summary>
/// One relayed connection: the client and target ends and the two copy loops between them. Half-close is
/// honoured (end of stream from one side becomes a FIN to the other while the other direction keeps flowing); the
/// connection ends when both directions have ended, on an error, on a nudge, on an idle or half-close timeout
/// (<see cref="Abort"/> by the forwarder's sweep) or at shutdown.
/// </summary>
internal sealed class ForwardedConnection
{
    // YARP's upgraded-connection copier uses the same size "based on performance investigations" (dotnet/yarp#330).
    private const int BufferSize = 64 * 1024;

    private readonly IRelayEnd _client;
    private readonly IRelayEnd _target;
    private readonly Counter.Child _toTarget;
    private readonly Counter.Child _toClient;
    private readonly TimeProvider _time;
    private readonly ArrayPool<byte> _pool;
    private long _lastActivity;
    private int _closed;
    private volatile bool _halfClosed;

    /// <param name="toTarget">Bytes relayed from the client to the target.</param>
    /// <param name="toClient">Bytes relayed from the target to the client.</param>
    /// <param name="pool">Where the copy buffers come from (<see cref="ArrayPool{T}.Shared"/> unless a test counts them).</param>
    public ForwardedConnection(IRelayEnd client, IRelayEnd target, Counter.Child toTarget, Counter.Child toClient, TimeProvider time, ArrayPool<byte>? pool = null)
    {
        _client = client;
        _target = target;
        _toTarget = toTarget;
        _toClient = toClient;
        _time = time;
        _pool = pool ?? ArrayPool<byte>.Shared;
        _lastActivity = time.GetTimestamp();
    }

    /// <summary>Time since the last byte (or FIN) in either direction.</summary>
    public TimeSpan Idle => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>One direction has ended with a FIN while the other still flows.</summary>
    public bool HalfClosed => _halfClosed;

    /// <summary>Relays until both directions have ended; never throws for network errors.</summary>
    public async Task RunAsync()
    {
        var toTarget = PumpAsync(_client, _target, _toTarget);
        var toClient = PumpAsync(_target, _client, _toClient);
        var first = await Task.WhenAny(toTarget, toClient).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            // A reset or an error on one side: the other side learns it by being closed too.
            Abort();
        }
        else
        {
            _halfClosed = true;
        }

        await Task.WhenAll(toTarget, toClient).ConfigureAwait(false);
        Abort();
    }

    /// <summary>
    /// Closes both sides with a FIN (never RST: a request racing the close must look retryable to the client), so
    /// the client reconnects and resolves the name again.
    /// </summary>
    public void Nudge()
    {
        _client.Shutdown();
        _target.Shutdown();
    }

    /// <summary>Closes both ends now.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _client.Dispose();
            _target.Dispose();
        }
    }

    /// <summary>Copies one direction; true when it ended with the source's end of stream, false on an error.</summary>
    private async Task<bool> PumpAsync(IRelayEnd from, IRelayEnd to, Counter.Child bytes)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data without a buffer, so thousands of idle connections hold none.
                    await from.WaitForDataAsync().ConfigureAwait(false);
                    buffer = _pool.Rent(BufferSize);
                }

                var read = await from.ReceiveAsync(buffer).ConfigureAwait(false);
                if (read == 0)
                {
                    // The half-close timeout counts from the FIN, not from the last byte before it.
                    Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
                    to.ShutdownSend();
                    return true;
                }

                Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
                await to.SendAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                bytes.Inc(read);
                if (read < buffer.Length)
                {
                    // Drained what was there: give the buffer back while waiting for more.
                    _pool.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (buffer is not null)
            {
                _pool.Return(buffer);
            }
        }
    }
}
