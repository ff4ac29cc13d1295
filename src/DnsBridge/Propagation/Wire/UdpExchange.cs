using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Propagation.Wire;

/// <summary>
/// Plain DNS: UDP with one retry, then TCP when the answer is truncated (RFC 7766). A datagram whose ID is not the
/// query's is ignored rather than taken as the answer (what an off-path spoofer would send, or a late answer to an
/// earlier question on the same socket).
/// </summary>
/// <remarks>
/// A socket that got its answer is kept for the next question to the same server, one question at a time, for at most
/// <see cref="MaxUses"/> questions and <see cref="MaxAge"/>: opening, connecting, registering and closing a socket per
/// question were most of the monitor's system calls with a wave of cutovers (hundreds of questions a second), and
/// system calls are what a virtual machine charges most for (issue 28). The limits keep what a fresh socket per
/// question gives: the source port still changes often, so an off-path spoofer still has a port to guess besides the
/// ID. A socket that timed out or failed is closed, never reused.
/// </remarks>
internal sealed class UdpExchange : IDisposable
{
    internal const int MaxUses = 64;
    internal const int MaxIdlePerServer = 8;
    internal static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<IPEndPoint, ConcurrentQueue<Connected>> _idle = new();
    private bool _disposed;

    public async Task<byte[]> ExchangeAsync(IPEndPoint server, byte[] query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(query);
        for (var attempt = 0; ; attempt++)
        {
            var connected = await RentAsync(server, cancellationToken);
            var reusable = false;
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(timeout);
            // The largest datagram, pooled: a pass asks hundreds of questions a second with a wave of cutovers.
            var buffer = ArrayPool<byte>.Shared.Rent(65535);
            try
            {
                await connected.Socket.SendAsync(query, SocketFlags.None, cancellationToken);
                while (true)
                {
                    var read = await connected.Socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token);
                    if (read >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
                    {
                        reusable = true;
                        var answer = buffer[..read];
                        return read >= 3 && (answer[2] & 0x02) != 0 ? await TcpAsync(server, query, timeout, cancellationToken) : answer;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt == 0)
            {
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DnsTransportException(DnsFailureReason.Timeout, "no answer in time");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset && attempt > 0)
            {
                // Nothing listens (ICMP port unreachable): no answer, as a silent server, only sooner.
                throw new DnsTransportException(DnsFailureReason.Timeout, $"no answer: {e.Message}");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                if (reusable)
                {
                    Return(server, connected);
                }
                else
                {
                    connected.Socket.Dispose();
                }
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var idle in _idle.Values)
        {
            while (idle.TryDequeue(out var connected))
            {
                connected.Socket.Dispose();
            }
        }
    }

    private async Task<Connected> RentAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        if (_idle.TryGetValue(server, out var idle))
        {
            while (idle.TryDequeue(out var kept))
            {
                if (Environment.TickCount64 - kept.OpenedAt < MaxAge.TotalMilliseconds)
                {
                    kept.Uses++;
                    return kept;
                }

                kept.Socket.Dispose();
            }
        }

        var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(server, cancellationToken);
            return new Connected(socket, Environment.TickCount64) { Uses = 1 };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Return(IPEndPoint server, Connected connected)
    {
        var idle = _idle.GetOrAdd(server, _ => []);
        if (_disposed || connected.Uses >= MaxUses || idle.Count >= MaxIdlePerServer)
        {
            connected.Socket.Dispose();
            return;
        }

        idle.Enqueue(connected);
        if (_disposed && idle.TryDequeue(out var late))
        {
            late.Socket.Dispose();
        }
    }

    private static async Task<byte[]> TcpAsync(IPEndPoint server, byte[] query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient(server.AddressFamily);
            await client.ConnectAsync(server, bound.Token);
            return await StreamExchange.ExchangeAsync(client.GetStream(), query, bound.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new DnsTransportException(DnsFailureReason.Truncated, $"truncated over UDP and no answer over TCP ({e.GetBaseException().Message})", e);
        }
    }

    /// <summary>A socket connected to one server, with when it was opened and how many questions it carried.</summary>
    private sealed class Connected(Socket socket, long openedAt)
    {
        public Socket Socket { get; } = socket;

        public long OpenedAt { get; } = openedAt;

        public int Uses { get; set; }
    }
}
