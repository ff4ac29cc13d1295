using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Forwarding;
using DnsBridge.Phases;
using DnsBridge.Residual;

namespace DnsBridge.Connections;

/// <summary>
/// Connection forwarding: the passthrough listener (route by the ClientHello's SNI) and one listener per port
/// forward (reconciled on every reload: added, removed, re-targeted, without touching unrelated connections),
/// the relays they start, the idle nudge once propagation is complete, and a graceful stop.
/// </summary>
public sealed partial class ConnectionForwarder : IHostedService, IDisposable
{
    /// <summary>The first header buffer of a connection: a ClientHello with a post-quantum key share is about 1.8 KiB.</summary>
    private const int InitialHelloBytes = 4096;

    private static readonly byte[] UnrecognizedNameAlert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70];

    private readonly ConfigMonitor _config;
    private readonly ConnectionMetrics _metrics;
    private readonly ForwardingMetrics _forwardingMetrics;
    private readonly ResidualAccounting _residual;
    private readonly NudgeRegistry _nudges;
    private readonly TimeProvider _time;
    private readonly ILogger<ConnectionForwarder> _logger;
    private readonly PhaseBoard? _phases;
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, ConnectionListener> _ports = [];
    private readonly ConcurrentDictionary<ForwardedConnection, byte> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionListener? _passthrough;
    private ITimer? _sweep;
    private TimeSpan _idleTimeout;
    private TimeSpan _halfCloseTimeout;
    private volatile ConnectionRouteTable _table = ConnectionRouteTable.Empty;

    public ConnectionForwarder(ConfigMonitor config, ConnectionMetrics metrics, ForwardingMetrics forwardingMetrics, ResidualAccounting residual, NudgeRegistry nudges, TimeProvider time, ILogger<ConnectionForwarder> logger,
        PhaseBoard? phases = null)
    {
        _phases = phases;
        _config = config;
        _metrics = metrics;
        _forwardingMetrics = forwardingMetrics;
        _residual = residual;
        _nudges = nudges;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where the passthrough listener is bound (null when <c>Listen:Passthrough</c> is not set).</summary>
    public IPEndPoint? PassthroughEndPoint => _passthrough?.EndPoint;

    /// <summary>Connections being relayed now.</summary>
    public int OpenConnections => _open.Count;

    /// <summary>The port forwards listening now, by their configured endpoint.</summary>
    public IReadOnlyList<IPEndPoint> PortListeners
    {
        get
        {
            lock (_gate)
            {
                return [.. _ports.Keys];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var config = _config.Current;

        // Listen is read at start, like the listeners it describes (a change is logged as needing a restart).
        _idleTimeout = config.Listen.ConnectionIdleTimeout;
        _halfCloseTimeout = config.Listen.ConnectionHalfCloseTimeout;
        if (config.Listen.Passthrough is { } passthrough
            && ConfigParsers.TryParseListenEndPoint(passthrough, allowAnyPort: true, out var endpoint, out _))
        {
            // Listeners bound at start stop the start when taken, like Kestrel's.
            _passthrough = new ConnectionListener(endpoint, config.Limits.MaxConnections, (s, l) => HandleAsync(s, l, passthrough: true));
            _ = _passthrough.AcceptAsync();
            LogListening(_logger, "passthrough", _passthrough.EndPoint);
        }

        Apply(config);
        _config.Changed += OnChanged;
        _sweep = _time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    private void OnChanged(DnsBridgeConfig previous, DnsBridgeConfig next) => Apply(next);

    /// <summary>New routes for new connections, and the port listeners made to match the configuration.</summary>
    private void Apply(DnsBridgeConfig config)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            var routes = config.Cutovers
                .Where(c => c.Target.IsPassthrough || c.Ports.Count > 0)
                .Select(c => new ConnectionRoute(c, _metrics.For(c.Name), _forwardingMetrics.For(c.Name), _residual.For(c), _nudges.For(c.Name),
                    c.SourceBackend is null ? null : _phases?.For(c.Name)))
                .ToList();
            var table = new ConnectionRouteTable(routes, new ClientAddressResolver(config.TrustedProxies));
            _table = table;

            var wanted = table.PortListens.ToHashSet();
            foreach (var gone in _ports.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                // Connections already relayed through it run on: only new ones are refused.
                _ports.Remove(gone, out var listener);
                listener!.Dispose();
                LogStopped(_logger, gone);
            }

            foreach (var endpoint in wanted.Where(e => !_ports.ContainsKey(e)))
            {
                try
                {
                    var listener = new ConnectionListener(endpoint, config.Limits.MaxConnections, (s, l) => HandleAsync(s, l, passthrough: false));
                    _ports[endpoint] = listener;
                    _ = listener.AcceptAsync();
                    LogListening(_logger, "port forward", listener.EndPoint);
                }
                catch (SocketException e)
                {
                    // A reload must not take the process down; the forward is reported and retried on the next reload.
                    LogBindFailed(_logger, endpoint, e.Message);
                }
            }
        }
    }

    private async Task HandleAsync(Socket client, ConnectionListener listener, bool passthrough)
    {
        if (!listener.TryEnter())
        {
            _metrics.Rejected(ConnectionRejection.Limit);
            client.Dispose();
            return;
        }

        byte[]? buffer = null;
        Socket? target = null;
        try
        {
            client.NoDelay = true;
            KeepAlive(client);
            var table = _table;
            var peer = (IPEndPoint)client.RemoteEndPoint!;
            var reached = (IPEndPoint)client.LocalEndPoint!;
            var source = peer;
            var filled = 0;
            var acceptProxy = _config.Current.Listen.AcceptProxyProtocol;
            var trusted = acceptProxy && table.Clients.IsTrusted(peer.Address);
            var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(_config.Current.Limits.RequestHeadersTimeout);

            ConnectionRoute? route;
            int targetPort;
            try
            {
                if (passthrough || trusted)
                {
                    // Rent the header buffer only once bytes are there: a connection that is slow to start holds none.
                    await client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token);
                    // Sized for a usual ClientHello (post-quantum key shares included) and grown only for a larger one:
                    // a burst of thousands of new connections then churns 4 KiB each instead of 32 KiB, which the GC
                    // would otherwise keep resident long after the buffers are back in the pool.
                    buffer = ArrayPool<byte>.Shared.Rent(acceptProxy ? ProxyProtocol.MaxHeaderBytes + InitialHelloBytes : InitialHelloBytes);
                }

                if (acceptProxy)
                {
                    var inbound = await ReadProxyHeaderAsync(client, buffer, trusted, passthrough, deadline.Token);
                    if (inbound.Rejection is { } why)
                    {
                        Reject(client, why);
                        return;
                    }

                    (source, reached, filled) = (inbound.Source ?? source, inbound.Destination ?? reached, inbound.Filled);
                }

                if (passthrough)
                {
                    var parser = new ClientHelloParser();
                    var hello = await ReadClientHelloAsync(client, buffer!, filled, parser, deadline.Token);
                    while (hello.NeedsRoom)
                    {
                        buffer = Grow(buffer!, hello.Filled);
                        hello = await ReadClientHelloAsync(client, buffer, hello.Filled, parser, deadline.Token);
                    }

                    filled = hello.Filled;
                    if (hello.Rejection is { } why)
                    {
                        Reject(client, why);
                        return;
                    }

                    if (hello.ServerName is null)
                    {
                        // Closed before sending anything (a load balancer's TCP health check): nothing to count.
                        client.Dispose();
                        return;
                    }

                    if (!table.TryMatchSni(hello.ServerName, out route))
                    {
                        await ForwardedConnection.SendAllAsync(client, UnrecognizedNameAlert);
                        Reject(client, ConnectionRejection.UnknownSni);
                        return;
                    }

                    targetPort = route.Config.Target.Port;
                }
                else if (!table.TryMatchPort(listener.Configured, out route, out targetPort))
                {
                    // The forward was removed by a reload after this connection was accepted.
                    client.Dispose();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                Reject(client, ConnectionRejection.Timeout);
                return;
            }
            finally
            {
                // Not held (with its timer and its link to the stop token) for the life of the relay.
                deadline.Dispose();
            }

            var clientAddress = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
            route.Residual.Record(ResidualObservation.Connection(clientAddress));
            route.Nudge?.Seen(clientAddress);

            var toSource = false;
            if (route.Phase is { } phase)
            {
                var decided = await PhaseOfAsync(route, phase);
                if (decided is null)
                {
                    // Held until Freeze.Hold ran out, or beyond Freeze.MaxHeld: closed, nothing reached either side.
                    client.Dispose();
                    return;
                }

                toSource = decided.Value.ToSource();
            }

            // A passthrough cutover's source listens on SourceBackend.Port; a port forward keeps its own port.
            target = toSource
                ? await ConnectAsync(route, route.SourceAddress!, route.Config.Target.IsPassthrough ? route.Config.SourceBackend!.Port : targetPort, toSource: true)
                : await ConnectAsync(route, route.TargetAddress, targetPort, toSource: false);
            if (target is null)
            {
                client.Dispose();
                return;
            }

            if (!toSource && route.Config.Target.ProxyProtocol != ProxyProtocolVersions.None)
            {
                await ForwardedConnection.SendAllAsync(target, ProxyProtocol.Encode(route.Config.Target.ProxyProtocol, new IPEndPoint(clientAddress, source.Port), reached));
            }

            if (buffer is not null)
            {
                if (filled > 0)
                {
                    await ForwardedConnection.SendAllAsync(target, buffer.AsMemory(0, filled));
                    route.Metrics.ToTarget.Inc(filled);
                }

                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }

            var connection = new ForwardedConnection(client, target, route, clientAddress, _time);
            target = null;
            _open[connection] = 0;
            route.Metrics.Open.Inc();
            try
            {
                if (_stopping.IsCancellationRequested)
                {
                    connection.Abort();
                }

                await connection.RunAsync();
            }
            finally
            {
                route.Metrics.Open.Dec();
                _open.TryRemove(connection, out _);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            client.Dispose();
            target?.Dispose();
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            listener.Exit();
        }
    }

    private void Reject(Socket client, ConnectionRejection reason)
    {
        _metrics.Rejected(reason);
        client.Dispose();
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

    /// <summary>What was read of a ClientHello; <paramref name="NeedsRoom"/> when the buffer is full before the ClientHello is whole.</summary>
    private readonly record struct Hello(string? ServerName, int Filled, ConnectionRejection? Rejection, bool NeedsRoom = false);

    /// <summary>Moves what was read into a buffer large enough for the largest accepted ClientHello.</summary>
    private static byte[] Grow(byte[] buffer, int filled)
    {
        var larger = ArrayPool<byte>.Shared.Rent(ClientHelloParser.MaxWireBytes + ProxyProtocol.MaxHeaderBytes);
        buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>Reads until the ClientHello is complete (or capped, or malformed); a null name with no rejection means the client closed without a byte.</summary>
    private static async Task<Hello> ReadClientHelloAsync(Socket client, byte[] buffer, int filled, ClientHelloParser parser, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (filled > 0)
            {
                var status = parser.Continue(buffer.AsSpan(0, filled), out var serverName);
                switch (status)
                {
                    case ClientHelloStatus.ServerName:
                        return new Hello(serverName, filled, null);
                    case ClientHelloStatus.NoServerName:
                        return new Hello(null, filled, ConnectionRejection.NoSni);
                    case ClientHelloStatus.NotTls:
                        return new Hello(null, filled, ConnectionRejection.NotTls);
                    case ClientHelloStatus.TooLarge:
                        return new Hello(null, filled, ConnectionRejection.Limit);
                    case ClientHelloStatus.NeedMore when filled >= ClientHelloParser.MaxWireBytes:
                        return new Hello(null, filled, ConnectionRejection.Limit);
                }
            }

            if (filled == buffer.Length)
            {
                return new Hello(null, filled, null, NeedsRoom: true);
            }

            var room = Math.Min(buffer.Length, ClientHelloParser.MaxWireBytes) - filled;
            var read = await client.ReceiveAsync(buffer.AsMemory(filled, room), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return new Hello(null, filled, filled == 0 ? null : ConnectionRejection.NotTls);
            }

            filled += read;
        }
    }

    /// <summary>The phase a new connection follows (see <see cref="PhaseCell.HoldAsync"/>); null: close it.</summary>
    private async Task<CutoverPhase?> PhaseOfAsync(ConnectionRoute route, PhaseCell phase)
    {
        var freeze = route.Config.Freeze;
        var (outcome, decided) = await phase.HoldAsync(freeze.Hold, freeze.MaxHeld, _time, _stopping.Token);
        if (outcome == PhaseCell.HoldOutcome.Cancelled)
        {
            // Stopping while held: the connection is closed unserved, like one held too long.
            phase.Rejected.Inc();
        }

        return decided;
    }

    private async Task<Socket?> ConnectAsync(ConnectionRoute route, IPAddress address, int port, bool toSource)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(route.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            KeepAlive(socket);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var reason = e is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connect_refused" : e is SocketException ? "reset" : "connect_timeout";
            if (!toSource)
            {
                route.TargetErrors.TargetError(reason);
            }

            LogConnectFailed(_logger, route.Name, address.ToString(), port, reason);
            return null;
        }
    }

    // Dead peers behind NATs are found in minutes instead of the kernel's two hours, on both legs: a client that
    // vanished without a FIN otherwise holds its relay (and its MaxConnections slot) until the idle timeout.
    private static void KeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 6);
    }

    /// <summary>
    /// Once a second: connections past <c>Listen:ConnectionIdleTimeout</c> (or <c>ConnectionHalfCloseTimeout</c> once
    /// half-closed) are closed whatever the phase, and connections idle for their cutover's <c>Drain.IdleNudge</c>
    /// after propagation are nudged.
    /// </summary>
    internal void Sweep()
    {
        foreach (var connection in _open.Keys)
        {
            var route = connection.Route;
            var idle = connection.Idle;
            var halfClosed = connection.HalfClosed;
            if (idle >= (halfClosed ? _halfCloseTimeout : _idleTimeout))
            {
                // Closed outright, not with a FIN: the peer that went quiet may be gone, and a send to it may be stuck.
                connection.Abort();
                (halfClosed ? route.Metrics.HalfCloseTimeouts : route.Metrics.IdleTimeouts).Inc();
                LogTimedOut(_logger, route.Name, halfClosed ? "half-close" : "idle", idle);
                continue;
            }

            if (route.Nudge is { PropagationComplete: true } nudge && connection.Idle >= route.Config.Drain.IdleNudge && nudge.TryTake())
            {
                connection.Nudge();
                nudge.Count(NudgeKind.Tcp);
                nudge.Nudged(connection.ClientAddress);
            }
        }
    }

    /// <summary>Stops accepting at once; relays run on until they end or the host's shutdown timeout, then are closed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _config.Changed -= OnChanged;
        lock (_gate)
        {
            _stopping.Cancel();
            _passthrough?.Dispose();
            foreach (var listener in _ports.Values)
            {
                listener.Dispose();
            }

            _ports.Clear();
        }

        if (!_open.IsEmpty)
        {
            LogDraining(_logger, _open.Count);
        }

        try
        {
            while (!_open.IsEmpty)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            LogClosing(_logger, _open.Count);
        }

        foreach (var connection in _open.Keys)
        {
            connection.Abort();
        }
    }

    public void Dispose()
    {
        _sweep?.Dispose();
        _passthrough?.Dispose();
        foreach (var listener in _ports.Values)
        {
            listener.Dispose();
        }

        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Connection forwarding: {Kind} listener on {EndPoint}")]
    private static partial void LogListening(ILogger logger, string kind, IPEndPoint endPoint);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Connection forwarding: port forward on {EndPoint} removed; its open connections run on")]
    private static partial void LogStopped(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Error, Message = "Connection forwarding: cannot listen on {EndPoint}: {Problem}")]
    private static partial void LogBindFailed(ILogger logger, IPEndPoint endPoint, string problem);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Cutover {Cutover}: cannot connect to target {Address}:{Port} ({Reason})")]
    private static partial void LogConnectFailed(ILogger logger, string cutover, string address, int port, string reason);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Information, Message = "Shutting down: {Count} forwarded connections may run until the shutdown timeout")]
    private static partial void LogDraining(ILogger logger, int count);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Debug, Message = "Cutover {Cutover}: relayed connection closed by the {Kind} timeout after {Idle} without a byte")]
    private static partial void LogTimedOut(ILogger logger, string cutover, string kind, TimeSpan idle);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Shutdown timeout: closing {Count} forwarded connections")]
    private static partial void LogClosing(ILogger logger, int count);
}
