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
/// the relays they start, the idle nudge once propagation is complete, and a graceful stop. Routing is
/// <see cref="ConnectionRouter"/>'s, the byte relay <see cref="ForwardedConnection"/>'s; this is their composition.
/// </summary>
internal sealed partial class ConnectionForwarder(ConfigMonitor monitor, ConnectionMetrics metrics, ForwardingMetrics forwardingMetrics, ResidualAccounting residual, NudgeRegistry nudges, TimeProvider time,
    ILogger<ConnectionForwarder> logger, PhaseBoard? phases = null) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPEndPoint, ConnectionListener> _ports = [];
    private readonly ConcurrentDictionary<ForwardedConnection, (ConnectionRoute Route, IPAddress ClientAddress)> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionRouter _router = new();
    private ConnectionListener? _passthrough;
    private ITimer? _sweep;
    private TimeSpan _idleTimeout;
    private TimeSpan _halfCloseTimeout;

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
        var config = monitor.Current;

        // Listen is read at start, like the listeners it describes (a change is logged as needing a restart).
        _idleTimeout = config.Listen.ConnectionIdleTimeout;
        _halfCloseTimeout = config.Listen.ConnectionHalfCloseTimeout;
        if (config.Listen.Passthrough is { } passthrough
            && ConfigParsers.TryParseListenEndPoint(passthrough, allowAnyPort: true, out var endpoint, out _))
        {
            // Listeners bound at start stop the start when taken, like Kestrel's.
            _passthrough = new ConnectionListener(endpoint, config.Limits.MaxConnections, (s, l) => HandleAsync(s, l, passthrough: true));
            _ = _passthrough.AcceptAsync();
            LogListening(logger, "passthrough", _passthrough.EndPoint);
        }

        Apply(config);
        monitor.Changed += OnChanged;
        _sweep = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
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
                .Select(c => new ConnectionRoute(c, metrics.For(c.Name), forwardingMetrics.For(c.Name), residual.For(c), nudges.For(c.Name),
                    c.SourceBackend is null ? null : phases?.For(c.Name)))
                .ToList();
            var table = new ConnectionRouteTable(routes, new ClientAddressResolver(config.TrustedProxies));
            _router.Table = table;

            var wanted = table.PortListens.ToHashSet();
            foreach (var gone in _ports.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                // Connections already relayed through it run on: only new ones are refused.
                _ports.Remove(gone, out var listener);
                listener!.Dispose();
                LogStopped(logger, gone);
            }

            foreach (var endpoint in wanted.Where(e => !_ports.ContainsKey(e)))
            {
                try
                {
                    var listener = new ConnectionListener(endpoint, config.Limits.MaxConnections, (s, l) => HandleAsync(s, l, passthrough: false));
                    _ports[endpoint] = listener;
                    _ = listener.AcceptAsync();
                    LogListening(logger, "port forward", listener.EndPoint);
                }
                catch (SocketException e)
                {
                    // A reload must not take the process down; the forward is reported and retried on the next reload.
                    LogBindFailed(logger, endpoint, e.Message);
                }
            }
        }
    }

    /// <summary>One accepted connection, from the limit to the end of its relay.</summary>
    private async Task HandleAsync(Socket client, ConnectionListener listener, bool passthrough)
    {
        // 1. Limits:MaxConnections, per listener: over it, closed before a byte is read.
        if (!listener.TryEnter())
        {
            metrics.Rejected(ConnectionRejection.Limit);
            client.Dispose();
            return;
        }

        try
        {
            client.NoDelay = true;
            KeepAlive(client);

            // 2-5. Routed and connected, or closed.
            if (await OpenAsync(client, passthrough ? null : listener.Configured) is { } opened)
            {
                // 6. Relayed until both sides have ended, a timeout, a nudge or the stop.
                await RelayAsync(opened.Connection, opened.Route, opened.ClientAddress);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            client.Dispose();
        }
        finally
        {
            listener.Exit();
        }
    }

    /// <summary>
    /// Routes a connection and connects it to its backend; null when it was closed instead (rejected, held too
    /// long, backend down). The header buffer is this method's: returned when it returns, before the relay starts.
    /// </summary>
    private async Task<(ForwardedConnection Connection, ConnectionRoute Route, IPAddress ClientAddress)?> OpenAsync(Socket client, IPEndPoint? configuredPort)
    {
        using var header = new ConnectionHeader();

        // 2. Routed by the PROXY header and the ClientHello's SNI (passthrough) or the port reached (port forward).
        var routing = await _router.RouteAsync(client, configuredPort, header, monitor.Current, _stopping.Token);
        if (routing.Route is not { } route)
        {
            if (routing.Rejection is { } why)
            {
                metrics.Rejected(why);
            }

            client.Dispose();
            return null;
        }

        // 3. Seen: residual traffic and the idle nudge count the client.
        var clientAddress = routing.ClientAddress;
        route.Residual.Record(ResidualObservation.Connection(clientAddress));
        route.Nudge?.Seen(clientAddress);

        // 4. The phase decides the backend: the source in rehearsal, held while frozen, the target once switched.
        var toSource = false;
        if (route.Phase is { } phase)
        {
            var decided = await PhaseOfAsync(route, phase);
            if (decided is null)
            {
                // Held until Freeze.Hold ran out, or beyond Freeze.MaxHeld: closed, nothing reached either side.
                client.Dispose();
                return null;
            }

            toSource = decided.Value.ToSource();
        }

        // 5. Connected, then the target is sent its PROXY header and what was read while routing.
        // A passthrough cutover's source listens on SourceBackend.Port; a port forward keeps its own port.
        var target = toSource
            ? await ConnectAsync(route, route.SourceAddress!, route.Config.Target.IsPassthrough ? route.Config.SourceBackend!.Port : routing.TargetPort, toSource: true)
            : await ConnectAsync(route, route.TargetAddress, routing.TargetPort, toSource: false);
        if (target is null)
        {
            client.Dispose();
            return null;
        }

        try
        {
            if (!toSource && route.Config.Target.ProxyProtocol != ProxyProtocolVersions.None)
            {
                await SocketRelayEnd.SendAllAsync(target, ProxyProtocol.Encode(route.Config.Target.ProxyProtocol, new IPEndPoint(clientAddress, routing.Source.Port), routing.Reached));
            }

            if (header.Filled > 0)
            {
                await SocketRelayEnd.SendAllAsync(target, header.Bytes);
                route.Metrics.ToTarget.Inc(header.Filled);
            }
        }
        catch
        {
            target.Dispose();
            throw;
        }

        var connection = new ForwardedConnection(new SocketRelayEnd(client), new SocketRelayEnd(target), route.Metrics.ToTarget, route.Metrics.ToClient, time);
        return (connection, route, clientAddress);
    }

    private async Task RelayAsync(ForwardedConnection connection, ConnectionRoute route, IPAddress clientAddress)
    {
        _open[connection] = (route, clientAddress);
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

    /// <summary>The phase a new connection follows (see <see cref="PhaseCell.HoldAsync"/>); null: close it.</summary>
    private async Task<CutoverPhase?> PhaseOfAsync(ConnectionRoute route, PhaseCell phase)
    {
        var freeze = route.Config.Freeze;
        var (outcome, decided) = await phase.HoldAsync(freeze.Hold, freeze.MaxHeld, time, _stopping.Token);
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
            var reason = e is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connect_refused" : e is SocketException ? "reset" : "connecttimeout";
            if (!toSource)
            {
                route.TargetErrors.TargetError(reason);
            }

            LogConnectFailed(logger, route.Name, address.ToString(), port, reason);
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
        foreach (var (connection, (route, clientAddress)) in _open)
        {
            var idle = connection.Idle;
            var halfClosed = connection.HalfClosed;
            if (idle >= (halfClosed ? _halfCloseTimeout : _idleTimeout))
            {
                // Closed outright, not with a FIN: the peer that went quiet may be gone, and a send to it may be stuck.
                connection.Abort();
                (halfClosed ? route.Metrics.HalfCloseTimeouts : route.Metrics.IdleTimeouts).Inc();
                LogTimedOut(logger, route.Name, halfClosed ? "half-close" : "idle", idle);
                continue;
            }

            if (route.Nudge is { PropagationComplete: true } nudge && connection.Idle >= route.Config.Drain.IdleNudge && nudge.TryTake())
            {
                connection.Nudge();
                nudge.Count(NudgeKind.Tcp);
                nudge.Nudged(clientAddress);
            }
        }
    }

    /// <summary>Stops accepting at once; relays run on until they end or the host's shutdown timeout, then are closed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        monitor.Changed -= OnChanged;
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
            LogDraining(logger, _open.Count);
        }

        try
        {
            while (!_open.IsEmpty)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            LogClosing(logger, _open.Count);
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
