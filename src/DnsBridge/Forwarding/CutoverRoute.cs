using DnsBridge.Configuration;
using DnsBridge.Phases;
using DnsBridge.Residual;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>The running form of one cutover: its config, its pooled connections to the target and its counters.</summary>
public sealed class CutoverRoute
{
    public CutoverRoute(CutoverConfig config, HttpMessageInvoker invoker, ForwardingMetrics.CutoverSeries metrics, ResidualCounter residual, NudgeSwitch nudge, TargetHealth health,
        SourceUpstream? source = null, PhaseCell? phase = null)
    {
        Source = source;
        Phase = source is null ? null : phase;
        Health = health;
        Nudge = config.Drain.Nudge ? nudge : null;
        Config = config;
        Name = config.Name;
        Invoker = invoker;
        Metrics = metrics;
        Residual = residual;
        var mode = TargetHandlerFactory.ModeOf(config.Target);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = config.Target.Timeout,
            // HTTP/2 to an https target when its ALPN offers it (gRPC needs it), HTTP/1.1 otherwise.
            Version = mode == TargetHandlerFactory.TlsMode.Https ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        // WebSockets go as HTTP/1.1 upgrades: with version 2 YARP tries RFC 8441 extended CONNECT first, which
        // many cloud load balancers and apps do not route (dotnet/yarp#2774).
        WebSocketRequestConfig = RequestConfig with { Version = System.Net.HttpVersion.Version11 };
        var scheme = mode == TargetHandlerFactory.TlsMode.Https ? "https" : "http";
        DestinationPrefixes = config.Hosts.ToDictionary(
            h => h,
            h => $"{scheme}://{(mode == TargetHandlerFactory.TlsMode.WrapWithServerName ? config.Target.ServerName : h)}:{config.Target.Port}",
            StringComparer.Ordinal);
    }

    public CutoverConfig Config { get; }

    public string Name { get; }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public ForwarderRequestConfig WebSocketRequestConfig { get; }

    /// <summary>
    /// Per host, the URI prefix the handler sees. Its host part keys the connection pool (one per SNI name) and is
    /// the TLS name; the socket is always dialled to the target address.
    /// </summary>
    public IReadOnlyDictionary<string, string> DestinationPrefixes { get; }

    public ForwardingMetrics.CutoverSeries Metrics { get; }

    public ResidualCounter Residual { get; }

    public TargetHealth Health { get; }

    /// <summary>Null when <c>Drain.Nudge</c> is off for this cutover.</summary>
    public NudgeSwitch? Nudge { get; }

    /// <summary>The source backend's pool (rehearsal, rolled_back); null without a <c>SourceBackend</c>.</summary>
    public SourceUpstream? Source { get; }

    /// <summary>The cutover's phase; null without a <c>SourceBackend</c> (always switched: today's path, untouched).</summary>
    public PhaseCell? Phase { get; }
}

/// <summary>
/// The source backend as the forwarder dials it: its own pooled invoker (built like the target's, so Host is kept,
/// SNI and certificate name are <c>ServerName</c> or the request's host), request configs and URI prefixes per host.
/// </summary>
public sealed class SourceUpstream
{
    public SourceUpstream(CutoverConfig config, TargetConfig source, HttpMessageInvoker invoker)
    {
        Target = source;
        Invoker = invoker;
        var mode = TargetHandlerFactory.ModeOf(source);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = source.Timeout,
            Version = mode == TargetHandlerFactory.TlsMode.Https ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        WebSocketRequestConfig = RequestConfig with { Version = System.Net.HttpVersion.Version11 };
        var scheme = mode == TargetHandlerFactory.TlsMode.Https ? "https" : "http";
        DestinationPrefixes = config.Hosts.ToDictionary(
            h => h,
            h => $"{scheme}://{(mode == TargetHandlerFactory.TlsMode.WrapWithServerName ? source.ServerName : h)}:{source.Port}",
            StringComparer.Ordinal);
    }

    /// <summary>The source backend as a target config (address, port, scheme, TLS name and trust; the target's timeouts).</summary>
    public TargetConfig Target { get; }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public ForwarderRequestConfig WebSocketRequestConfig { get; }

    public IReadOnlyDictionary<string, string> DestinationPrefixes { get; }
}

/// <summary>What a request's host name resolves to: the cutover, the URI prefix and the transformer for that host.</summary>
public sealed class HostRoute(CutoverRoute cutover, string host, ClientAddressResolver clients)
{
    public CutoverRoute Cutover { get; } = cutover;

    public string Host { get; } = host;

    public string DestinationPrefix { get; } = cutover.DestinationPrefixes[host];

    /// <summary>The URI prefix toward the source backend (null without one).</summary>
    public string? SourceDestinationPrefix { get; } = cutover.Source?.DestinationPrefixes[host];

    public ForwardingTransformer Transformer { get; } = new(host, clients);
}
