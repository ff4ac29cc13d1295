using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Forwarding;
using DnsBridge.Phases;
using DnsBridge.Residual;

namespace DnsBridge.Connections;

/// <summary>The running form of one cutover for connection forwarding: where to connect, what header to send, its counters.</summary>
internal sealed class ConnectionRoute(CutoverConfig config, ConnectionMetrics.CutoverSeries metrics, ForwardingMetrics.CutoverSeries targetErrors, ResidualCounter residual, NudgeSwitch nudge,
    PhaseCell? phase = null)
{
    /// <summary>The cutover's phase; null without a <c>SourceBackend</c> (always to the target).</summary>
    public PhaseCell? Phase { get; } = config.SourceBackend is null ? null : phase;

    /// <summary>The source backend's address (rehearsal, rolled_back); null without one.</summary>
    public IPAddress? SourceAddress { get; } = config.SourceBackend is { } s ? IPAddress.Parse(s.Address) : null;

    public CutoverConfig Config { get; } = config;

    public string Name => Config.Name;

    public IPAddress TargetAddress { get; } = IPAddress.Parse(config.Target.Address);

    /// <summary>Bounded like the HTTP forwarder's connect: a dead target fails the client in seconds, not minutes.</summary>
    public TimeSpan ConnectTimeout { get; } = config.Target.Timeout < TimeSpan.FromSeconds(10) ? config.Target.Timeout : TimeSpan.FromSeconds(10);

    public ConnectionMetrics.CutoverSeries Metrics { get; } = metrics;

    public ForwardingMetrics.CutoverSeries TargetErrors { get; } = targetErrors;

    public ResidualCounter Residual { get; } = residual;

    /// <summary>Null when <c>Drain.Nudge</c> is off for this cutover.</summary>
    public NudgeSwitch? Nudge { get; } = config.Drain.Nudge ? nudge : null;
}
