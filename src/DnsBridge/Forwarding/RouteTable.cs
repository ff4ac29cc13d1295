using System.Collections.Frozen;
using DnsBridge.Residual;

namespace DnsBridge.Forwarding;

/// <summary>
/// The immutable host-name lookup of one configuration generation. Matching is case-insensitive, ignores the
/// port and one trailing dot, and allocates nothing.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, HostRoute> _hosts;
    private readonly FrozenDictionary<string, HostRoute>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public RouteTable(IEnumerable<CutoverRoute> cutovers, ClientAddressResolver clients)
    {
        Clients = clients;
        Cutovers = [.. cutovers];
        _hosts = Cutovers
            .SelectMany(c => c.Config.Hosts.Select(h => new HostRoute(c, h, clients)))
            .ToFrozenDictionary(r => r.Host, StringComparer.OrdinalIgnoreCase);
        _lookup = _hosts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static RouteTable Empty { get; } = new([], new ClientAddressResolver([]));

    /// <summary>Tells the client behind the source LB (trusted proxies of this generation).</summary>
    public ClientAddressResolver Clients { get; }

    public IReadOnlyList<CutoverRoute> Cutovers { get; }

    public bool TryMatch(string? hostHeader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostRoute? route)
    {
        route = null;
        return hostHeader is not null && TryGetName(hostHeader, out var name) && _lookup.TryGetValue(name, out route);
    }

    /// <summary>The name part of a Host header: no port, no trailing dot; IP literals never match a name.</summary>
    public static bool TryGetName(string hostHeader, out ReadOnlySpan<char> name)
    {
        name = hostHeader.AsSpan();
        if (name.IsEmpty || name[0] == '[')
        {
            return false;
        }

        var colon = name.IndexOf(':');
        if (colon >= 0)
        {
            var port = name[(colon + 1)..];
            if (port.IsEmpty || port.Length > 5 || !int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number is 0 or > 65535)
            {
                return false;
            }

            name = name[..colon];
        }

        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        return !name.IsEmpty;
    }
}
