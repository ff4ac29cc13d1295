using DnsBridge.Configuration;
using DnsBridge.Phases;
using DnsBridge.Residual;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>The running form of one cutover: its config, its pooled connections to the target and its counters.</summary>
internal sealed class CutoverRoute
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
        var requests = new UpstreamRequests(config.Hosts, config.Target);
        RequestConfig = requests.RequestConfig;
        WebSocketRequestConfig = requests.WebSocketRequestConfig;
        DestinationPrefixes = requests.DestinationPrefixes;
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
internal sealed class SourceUpstream
{
    public SourceUpstream(CutoverConfig config, TargetConfig source, HttpMessageInvoker invoker)
    {
        Target = source;
        Invoker = invoker;
        var requests = new UpstreamRequests(config.Hosts, source);
        RequestConfig = requests.RequestConfig;
        WebSocketRequestConfig = requests.WebSocketRequestConfig;
        DestinationPrefixes = requests.DestinationPrefixes;
    }

    /// <summary>The source backend as a target config (address, port, scheme, TLS name and trust; the target's timeouts).</summary>
    public TargetConfig Target { get; }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public ForwarderRequestConfig WebSocketRequestConfig { get; }

    public IReadOnlyDictionary<string, string> DestinationPrefixes { get; }
}

/// <summary>What a request's host name resolves to: the cutover, the URI prefix and the transformer for that host.</summary>
internal sealed class HostRoute(CutoverRoute cutover, string host, ClientAddressResolver clients)
{
    public CutoverRoute Cutover { get; } = cutover;

    public string Host { get; } = host;

    public string DestinationPrefix { get; } = cutover.DestinationPrefixes[host];

    /// <summary>The URI prefix toward the source backend (null without one).</summary>
    public string? SourceDestinationPrefix { get; } = cutover.Source?.DestinationPrefixes[host];

    public ForwardingTransformer Transformer { get; } = new(host, clients);
}
