using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Propagation.Wire;

/// <summary>
/// Plain DNS: UDP with one retry, then TCP when the answer is truncated (RFC 7766). A datagram whose ID is not the
/// query's is ignored rather than taken as the answer (what an off-path spoofer would send).
/// </summary>
internal static class UdpExchange
{
    public static async Task<byte[]> ExchangeAsync(IPEndPoint server, byte[] query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(query);
        for (var attempt = 0; ; attempt++)
        {
            using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(server, cancellationToken);
            await socket.SendAsync(query, SocketFlags.None, cancellationToken);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(timeout);
            // The largest datagram, pooled: a pass asks hundreds of questions a second with a wave of cutovers.
            var buffer = ArrayPool<byte>.Shared.Rent(65535);
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, bound.Token);
                    if (read >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
                    {
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
            }
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
}
