using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DnsBridge.Hosting;

/// <summary>
/// The proxy and admin listeners, told apart by local port. Ports configured as 0 are known only once Kestrel has
/// bound them, so the bound endpoints are read back from the listen options after start.
/// </summary>
public sealed class ListenerPorts
{
    private ListenOptions? _proxy;
    private ListenOptions? _admin;
    private ListenOptions? _proxyHttps;
    private volatile int _adminPort = -1;

    public IPEndPoint? ProxyEndPoint => _proxy?.IPEndPoint;

    public IPEndPoint? AdminEndPoint => _admin?.IPEndPoint;

    /// <summary>The TLS proxy listener, when <c>Listen:ProxyHttps</c> is set.</summary>
    public IPEndPoint? ProxyHttpsEndPoint => _proxyHttps?.IPEndPoint;

    public bool Started { get; private set; }

    internal void Configure(ListenOptions proxy, ListenOptions admin)
    {
        _proxy = proxy;
        _admin = admin;
        if (admin.IPEndPoint is { Port: > 0 } fixedPort)
        {
            _adminPort = fixedPort.Port;
        }
    }

    internal void ConfigureHttps(ListenOptions proxyHttps) => _proxyHttps = proxyHttps;

    internal void OnStarted()
    {
        _adminPort = _admin?.IPEndPoint?.Port ?? -1;
        Started = true;
    }

    public bool IsAdmin(HttpContext context) => context.Connection.LocalPort == _adminPort;
}
