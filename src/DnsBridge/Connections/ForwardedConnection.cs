using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Connections;

/// <summary>
/// One relayed connection: the client and target sockets and the two copy loops between them. Half-close is
/// honoured (end of stream from one side becomes a FIN to the other while the other direction keeps flowing); the
/// connection ends when both directions have ended, on an error, on a nudge, on an idle or half-close timeout
/// (<see cref="Abort"/> by the forwarder's sweep) or at shutdown.
/// </summary>
public sealed class ForwardedConnection
{
    // YARP's upgraded-connection copier uses the same size "based on performance investigations" (dotnet/yarp#330).
    private const int BufferSize = 64 * 1024;

    private readonly Socket _client;
    private readonly Socket _target;
    private readonly TimeProvider _time;
    private long _lastActivity;
    private int _closed;
    private volatile bool _halfClosed;

    public ForwardedConnection(Socket client, Socket target, ConnectionRoute route, IPAddress? clientAddress, TimeProvider time)
    {
        _client = client;
        _target = target;
        _time = time;
        Route = route;
        ClientAddress = clientAddress;
        _lastActivity = time.GetTimestamp();
    }

    public ConnectionRoute Route { get; }

    public IPAddress? ClientAddress { get; }

    /// <summary>Time since the last byte (or FIN) in either direction.</summary>
    public TimeSpan Idle => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>One direction has ended with a FIN while the other still flows.</summary>
    public bool HalfClosed => _halfClosed;

    /// <summary>Relays until both directions have ended; never throws for network errors.</summary>
    public async Task RunAsync()
    {
        var toTarget = PumpAsync(_client, _target, Route.Metrics.ToTarget);
        var toClient = PumpAsync(_target, _client, Route.Metrics.ToClient);
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
        Shutdown(_client);
        Shutdown(_target);
    }

    /// <summary>Closes both sockets now.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _client.Dispose();
            _target.Dispose();
        }
    }

    private static void Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing to tell.
        }
    }

    /// <summary>Copies one direction; true when it ended with the source's end of stream, false on an error.</summary>
    private async Task<bool> PumpAsync(Socket from, Socket to, Prometheus.Counter.Child bytes)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data without a buffer, so thousands of idle connections hold none.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    // The half-close timeout counts from the FIN, not from the last byte before it.
                    Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }

                Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());
                await SendAllAsync(to, buffer.AsMemory(0, read)).ConfigureAwait(false);
                bytes.Inc(read);
                if (read < buffer.Length)
                {
                    // Drained what was there: give the buffer back while waiting for more.
                    ArrayPool<byte>.Shared.Return(buffer);
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
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
