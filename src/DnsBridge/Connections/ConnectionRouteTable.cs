using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using DnsBridge.Forwarding;
using DnsBridge.Residual;

namespace DnsBridge.Connections;

/// <summary>
/// One configuration generation's connection routes: SNI → passthrough cutover (matched like the HTTP route table:
/// case-insensitive, one trailing dot ignored) and port-forward listen endpoint → cutover and target port.
/// </summary>
internal sealed class ConnectionRouteTable
{
    private readonly FrozenDictionary<string, ConnectionRoute>.AlternateLookup<ReadOnlySpan<char>> _bySni;
    private readonly FrozenDictionary<IPEndPoint, (ConnectionRoute Route, int Port)> _byListen;

    public ConnectionRouteTable(IReadOnlyList<ConnectionRoute> routes, ClientAddressResolver clients)
    {
        Routes = routes;
        Clients = clients;
        _bySni = routes.Where(r => r.Config.Target.IsPassthrough)
            .SelectMany(r => r.Config.Hosts.Select(h => (Host: h, Route: r)))
            .ToFrozenDictionary(x => x.Host, x => x.Route, StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
        _byListen = routes
            .SelectMany(r => r.Config.Ports.Select(p => (EndPoint: IPEndPoint.Parse(p.Listen), Route: r, p.Target)))
            .ToFrozenDictionary(x => x.EndPoint, x => (x.Route, x.Target));
    }

    public static ConnectionRouteTable Empty { get; } = new([], new ClientAddressResolver([]));

    public IReadOnlyList<ConnectionRoute> Routes { get; }

    /// <summary>The trusted proxies of this generation (PROXY headers are believed from them only).</summary>
    public ClientAddressResolver Clients { get; }

    /// <summary>Every port forward's listen endpoint, as configured.</summary>
    public IEnumerable<IPEndPoint> PortListens => _byListen.Keys;

    public bool TryMatchSni(string serverName, [NotNullWhen(true)] out ConnectionRoute? route)
    {
        route = null;
        return RouteTable.TryGetName(serverName, out var name) && _bySni.TryGetValue(name, out route);
    }

    public bool TryMatchPort(IPEndPoint listen, [NotNullWhen(true)] out ConnectionRoute? route, out int targetPort)
    {
        var found = _byListen.TryGetValue(listen, out var entry);
        (route, targetPort) = found ? entry : (null, 0);
        return found;
    }
}
