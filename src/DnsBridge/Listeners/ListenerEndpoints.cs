using System.Net;
using System.Security.Authentication;
using DnsBridge.Configuration;
using DnsBridge.Connections;
using DnsBridge.Forwarding;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace DnsBridge.Listeners;

/// <summary>
/// The Kestrel endpoints by role (proxy, proxy TLS, admin): opened from <c>Listen</c>, each tagging its connections
/// with its <see cref="ListenerRole"/>, and read back once bound (ports configured as 0 are known only then).
/// Connection forwarding (passthrough, port forwards) listens on raw sockets in <c>Connections/</c> instead: Kestrel
/// cannot half-close and its endpoints are fixed at start.
/// </summary>
internal sealed class ListenerEndpoints
{
    private readonly Dictionary<ListenerRole, ListenOptions> _options = [];

    public bool Started { get; private set; }

    /// <summary>Where a listener is bound (null when that role is not configured, or before start for port 0).</summary>
    public IPEndPoint? EndPoint(ListenerRole role) => _options.TryGetValue(role, out var o) ? o.IPEndPoint : null;

    public IPEndPoint? ProxyEndPoint => EndPoint(ListenerRole.Proxy);

    /// <summary>The TLS proxy listener, when <c>Listen:ProxyHttps</c> is set.</summary>
    public IPEndPoint? ProxyHttpsEndPoint => EndPoint(ListenerRole.ProxyTls);

    public IPEndPoint? AdminEndPoint => EndPoint(ListenerRole.Admin);

    /// <summary>The role of the listener a request came in on.</summary>
    public static ListenerRole RoleOf(HttpContext context) => context.Features.Get<ListenerRoleFeature>()?.Role ?? ListenerRole.Proxy;

    internal void Configure(KestrelServerOptions kestrel, ListenConfig listen)
    {
        Open(kestrel, ListenerRole.Proxy, Endpoint(listen.Proxy), o =>
        {
            o.Protocols = HttpProtocols.Http1;
            AcceptProxyProtocol(o, listen);
        });
        if (listen.ProxyHttps is { } proxyHttps)
        {
            Open(kestrel, ListenerRole.ProxyTls, Endpoint(proxyHttps, Uri.UriSchemeHttps), o =>
            {
                o.Protocols = HttpProtocols.Http1AndHttp2;

                // Before TLS: the load balancer in front sends the header ahead of the ClientHello.
                AcceptProxyProtocol(o, listen);
                var certificates = o.ApplicationServices.GetRequiredService<ProxyCertificates>();
                o.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // Per handshake, by SNI: the whole SslServerAuthenticationOptions, so the cipher policy and the
                    // certificate context (chain, OCSP staple) apply; a certificate selector alone gives neither.
                    OnConnection = context => ValueTask.FromResult(ProxyTlsPolicy.For(
                        certificates.Select(context.ClientHelloInfo.ServerName)
                        ?? throw new AuthenticationException("no certificate of Listen:Certificates could be loaded"))),
                });
            });
        }

        Open(kestrel, ListenerRole.Admin, Endpoint(listen.Admin), o => o.Protocols = HttpProtocols.Http1);
    }

    internal void OnStarted() => Started = true;

    private static void AcceptProxyProtocol(ListenOptions options, ListenConfig listen)
    {
        if (listen.AcceptProxyProtocol)
        {
            var middleware = options.ApplicationServices.GetRequiredService<ProxyProtocolConnectionMiddleware>();
            options.Use(next => connection => middleware.InvokeAsync(connection, next));
        }
    }

    private void Open(KestrelServerOptions kestrel, ListenerRole role, IPEndPoint endpoint, Action<ListenOptions> configure)
    {
        kestrel.Listen(endpoint, o =>
        {
            // First in the connection pipeline, so the role is there before TLS and for every request after it.
            var feature = ListenerRoleFeature.Of(role);
            o.Use(next => connection =>
            {
                connection.Features.Set(feature);
                return next(connection);
            });
            configure(o);
            _options[role] = o;
        });
    }

    private static IPEndPoint Endpoint(string url, string scheme = "http") =>
        ConfigParsers.TryParseListenUrl(url, out var endpoint, out var why, scheme) ? endpoint! : throw new ConfigException(why);
}
