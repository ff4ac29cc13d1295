namespace DnsBridge.Forwarding;

/// <summary>How a client connection was nudged (the <c>kind</c> label of <c>dnsbridge_nudged_connections_total</c>).</summary>
internal enum NudgeKind
{
    Http1,
    Http2,
    WebSocket,

    /// <summary>A forwarded connection (passthrough or port forward) closed after <c>Drain.IdleNudge</c> without a byte.</summary>
    Tcp,
}
