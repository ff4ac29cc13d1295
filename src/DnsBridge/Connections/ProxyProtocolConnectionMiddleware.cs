using System.Buffers;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Forwarding;
using Microsoft.AspNetCore.Connections;

namespace DnsBridge.Connections;

/// <summary>
/// <c>Listen:AcceptProxyProtocol</c> on the Kestrel proxy listeners: first in the connection pipeline (before TLS,
/// where NLB/ELB/HAProxy put the header), it takes the PROXY v1/v2 header of a trusted peer and makes its source
/// the connection's remote address, so exclusions, residual counting and X-Forwarded-For see the real client. A
/// trusted peer without a valid header, or any other peer sending one, is disconnected.
/// </summary>
internal sealed class ProxyProtocolConnectionMiddleware(ConfigMonitor config, RouteTableProvider routes, ConnectionMetrics metrics)
{
    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var current = config.Current;
        if (!current.Listen.AcceptProxyProtocol || connection.RemoteEndPoint is not IPEndPoint peer)
        {
            await next(connection);
            return;
        }

        var trusted = routes.Current.Clients.IsTrusted(peer.Address);
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(current.Limits.RequestHeadersTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var window = buffer.Slice(0, Math.Min(buffer.Length, ProxyProtocol.MaxHeaderBytes));
                var status = ProxyProtocol.Parse(window.IsSingleSegment ? window.FirstSpan : window.ToArray(), out var header, out var consumed);
                if (status == ProxyHeaderStatus.NeedMore && !result.IsCompleted && buffer.Length < ProxyProtocol.MaxHeaderBytes)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                if (!trusted && status == ProxyHeaderStatus.Absent)
                {
                    input.AdvanceTo(buffer.Start);
                    break;
                }

                if (!trusted || status != ProxyHeaderStatus.Parsed)
                {
                    input.AdvanceTo(buffer.Start);
                    metrics.Rejected(ConnectionRejection.ProxyProtocol);
                    connection.Abort(new ConnectionAbortedException("PROXY protocol header missing, malformed or from an untrusted peer"));
                    return;
                }

                input.AdvanceTo(buffer.GetPosition(consumed));
                if (header!.Source is { } source)
                {
                    connection.RemoteEndPoint = source;
                    connection.LocalEndPoint = header.Destination;
                }

                break;
            }
        }
        catch (OperationCanceledException)
        {
            metrics.Rejected(ConnectionRejection.Timeout);
            connection.Abort(new ConnectionAbortedException("no PROXY protocol header in time"));
            return;
        }

        await next(connection);
    }
}
