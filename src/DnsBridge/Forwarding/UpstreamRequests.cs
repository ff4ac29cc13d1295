using DnsBridge.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>
/// How the forwarder sends to one upstream, the target or the source backend: the request configs and, per host, the
/// URI prefix the handler sees. Its host part keys the connection pool (one per SNI name) and is the TLS name; the
/// socket is always dialled to the upstream's address.
/// </summary>
internal sealed class UpstreamRequests
{
    public UpstreamRequests(IReadOnlyList<string> hosts, TargetConfig upstream)
    {
        var mode = TargetHandlerFactory.ModeOf(upstream);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = upstream.Timeout,
            // HTTP/2 to an https upstream when its ALPN offers it (gRPC needs it), HTTP/1.1 otherwise.
            Version = mode == TargetHandlerFactory.TlsMode.Https ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        // WebSockets go as HTTP/1.1 upgrades: with version 2 YARP tries RFC 8441 extended CONNECT first, which
        // many cloud load balancers and apps do not route (dotnet/yarp#2774).
        WebSocketRequestConfig = RequestConfig with { Version = System.Net.HttpVersion.Version11 };
        var scheme = mode == TargetHandlerFactory.TlsMode.Https ? "https" : "http";
        DestinationPrefixes = hosts.ToDictionary(
            h => h,
            h => $"{scheme}://{(mode == TargetHandlerFactory.TlsMode.WrapWithServerName ? upstream.ServerName : h)}:{upstream.Port}",
            StringComparer.Ordinal);
    }

    public ForwarderRequestConfig RequestConfig { get; }

    public ForwarderRequestConfig WebSocketRequestConfig { get; }

    public IReadOnlyDictionary<string, string> DestinationPrefixes { get; }
}
