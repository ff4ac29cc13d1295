using System.Net;
using System.Net.Sockets;
using DnsBridge.Configuration;

namespace DnsBridge.Connections;

/// <summary>
/// Routes a new connection before anything reaches a backend: its PROXY header (<c>Listen:AcceptProxyProtocol</c>),
/// then, on the passthrough listener, its ClientHello's SNI; on a port forward, the port it reached. What was read
/// stays in the caller's <see cref="ConnectionHeader"/>, to be sent to the target ahead of the relay.
/// </summary>
internal sealed class ConnectionRouter
{
    /// <summary>The first header buffer of a connection: a ClientHello with a post-quantum key share is about 1.8 KiB.</summary>
    private const int InitialHelloBytes = 4096;

    private static readonly byte[] UnrecognizedNameAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70];

    private volatile ConnectionRouteTable _table = ConnectionRouteTable.Empty;

    /// <summary>The routes new connections are matched against (replaced on every reload).</summary>
    public ConnectionRouteTable Table
    {
        get => _table;
        set => _table = value;
    }

    /// <param name="configuredPort">The port forward's endpoint as configured; null on the passthrough listener.</param>
    /// <param name="current">The configuration now (<c>Listen:AcceptProxyProtocol</c>, <c>Limits:RequestHeadersTimeout</c>).</param>
    public async Task<ConnectionRouting> RouteAsync(Socket client, IPEndPoint? configuredPort, ConnectionHeader header, DnsBridgeConfig current, CancellationToken stopping)
    {
        var table = _table;
        var passthrough = configuredPort is null;
        var peer = (IPEndPoint)client.RemoteEndPoint!;
        var reached = (IPEndPoint)client.LocalEndPoint!;
        var acceptProxy = current.Listen.AcceptProxyProtocol;
        var trusted = acceptProxy && table.Clients.IsTrusted(peer.Address);

        // Not held (with its timer and its link to the stop token) for the life of the relay.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(current.Limits.RequestHeadersTimeout);
        try
        {
            // 1. Wait for the first bytes, when any are to be read before routing.
            if (passthrough || trusted)
            {
                // Rent the header buffer only once bytes are there: a connection that is slow to start holds none.
                await client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token);
                // Sized for a usual ClientHello (post-quantum key shares included) and grown only for a larger one:
                // a burst of thousands of new connections then churns 4 KiB each instead of 32 KiB, which the GC
                // would otherwise keep resident long after the buffers are back in the pool.
                header.Rent(acceptProxy ? ProxyProtocol.MaxHeaderBytes + InitialHelloBytes : InitialHelloBytes);
            }

            // 2. The PROXY header: who the client really is, and what it reached.
            var source = peer;
            if (acceptProxy)
            {
                var inbound = await ReadProxyHeaderAsync(client, header.Buffer, trusted, passthrough, deadline.Token);
                if (inbound.Rejection is { } why)
                {
                    return new ConnectionRouting(source, reached, Rejection: why);
                }

                (source, reached, header.Filled) = (inbound.Source ?? source, inbound.Destination ?? reached, inbound.Filled);
            }

            // 3a. A port forward routes by the port it listens on.
            if (!passthrough)
            {
                // No route: the forward was removed by a reload after this connection was accepted.
                return table.TryMatchPort(configuredPort!, out var forward, out var targetPort)
                    ? new ConnectionRouting(source, reached, forward, targetPort)
                    : new ConnectionRouting(source, reached);
            }

            // 3b. Passthrough routes by the ClientHello's SNI.
            var hello = await ReadClientHelloAsync(client, header, deadline.Token);
            if (hello.Rejection is { } refused)
            {
                return new ConnectionRouting(source, reached, Rejection: refused);
            }

            if (hello.ServerName is null)
            {
                // Closed before sending anything (a load balancer's TCP health check): nothing to count.
                return new ConnectionRouting(source, reached);
            }

            if (!table.TryMatchSni(hello.ServerName, out var route))
            {
                await SocketRelayEnd.SendAllAsync(client, UnrecognizedNameAlert);
                return new ConnectionRouting(source, reached, Rejection: ConnectionRejection.UnknownSni);
            }

            return new ConnectionRouting(source, reached, route, route.Config.Target.Port);
        }
        catch (OperationCanceledException)
        {
            return new ConnectionRouting(peer, reached, Rejection: ConnectionRejection.Timeout);
        }
    }

    private readonly record struct Inbound(IPEndPoint? Source, IPEndPoint? Destination, int Filled, ConnectionRejection? Rejection);

    /// <summary>
    /// A trusted peer must start with a PROXY header; anyone else's header is refused (it would spoof the client).
    /// Untrusted peers of a port forward are not read from: the target may speak first (SMTP, MySQL).
    /// </summary>
    private static async Task<Inbound> ReadProxyHeaderAsync(Socket client, byte[]? buffer, bool trusted, bool passthrough, CancellationToken cancellationToken)
    {
        if (buffer is null || (!trusted && !passthrough))
        {
            return new Inbound(null, null, 0, null);
        }

        var filled = 0;
        while (true)
        {
            var read = await client.ReceiveAsync(buffer.AsMemory(filled, ProxyProtocol.MaxHeaderBytes - filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return new Inbound(null, null, filled, filled == 0 ? null : ConnectionRejection.ProxyProtocol);
            }

            filled += read;
            var status = ProxyProtocol.Parse(buffer.AsSpan(0, filled), out var header, out var consumed);
            if (!trusted)
            {
                if (status == ProxyHeaderStatus.Absent)
                {
                    return new Inbound(null, null, filled, null);
                }

                if (status != ProxyHeaderStatus.NeedMore)
                {
                    return new Inbound(null, null, filled, ConnectionRejection.ProxyProtocol);
                }

                continue;
            }

            if (status == ProxyHeaderStatus.Parsed)
            {
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                return new Inbound(header!.Source, header.Destination, filled - consumed, null);
            }

            if (status != ProxyHeaderStatus.NeedMore || filled == ProxyProtocol.MaxHeaderBytes)
            {
                return new Inbound(null, null, filled, ConnectionRejection.ProxyProtocol);
            }
        }
    }

    /// <summary>What was read of a ClientHello; a null name with no rejection means the client closed without a byte.</summary>
    private readonly record struct Hello(string? ServerName, ConnectionRejection? Rejection);

    /// <summary>
    /// Reads into <paramref name="header"/> until the ClientHello is complete (or capped, or malformed), growing the
    /// buffer once, for a ClientHello larger than the first buffer holds.
    /// </summary>
    private static async Task<Hello> ReadClientHelloAsync(Socket client, ConnectionHeader header, CancellationToken cancellationToken)
    {
        var parser = new ClientHelloParser();
        var buffer = header.Buffer!;
        while (true)
        {
            var filled = header.Filled;
            if (filled > 0)
            {
                var status = parser.Continue(buffer.AsSpan(0, filled), out var serverName);
                switch (status)
                {
                    case ClientHelloStatus.ServerName:
                        return new Hello(serverName, null);
                    case ClientHelloStatus.NoServerName:
                        return new Hello(null, ConnectionRejection.NoSni);
                    case ClientHelloStatus.NotTls:
                        return new Hello(null, ConnectionRejection.NotTls);
                    case ClientHelloStatus.TooLarge:
                        return new Hello(null, ConnectionRejection.Limit);
                    case ClientHelloStatus.NeedMore when filled >= ClientHelloParser.MaxWireBytes:
                        return new Hello(null, ConnectionRejection.Limit);
                }
            }

            if (filled == buffer.Length)
            {
                // Large enough for the largest accepted ClientHello.
                buffer = header.Grow(ClientHelloParser.MaxWireBytes + ProxyProtocol.MaxHeaderBytes);
            }

            var room = Math.Min(buffer.Length, ClientHelloParser.MaxWireBytes) - filled;
            var read = await client.ReceiveAsync(buffer.AsMemory(filled, room), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return new Hello(null, filled == 0 ? null : ConnectionRejection.NotTls);
            }

            header.Filled += read;
        }
    }
}
