using Prometheus;

namespace DnsBridge.Connections;

/// <summary>Why a connection was closed without being relayed (the <c>reason</c> label of <c>dnsbridge_rejected_connections_total</c>).</summary>
internal enum ConnectionRejection
{
    NoSni,
    UnknownSni,
    NotTls,
    Limit,
    Timeout,

    /// <summary>A PROXY header missing from a trusted peer, malformed, or sent by a peer that is not trusted.</summary>
    ProxyProtocol,
}

/// <summary>
/// The connection forwarder's metrics; labelled children are resolved once per cutover (<see cref="For"/>), never
/// per read.
/// </summary>
internal sealed class ConnectionMetrics
{
    public static readonly IReadOnlyList<string> RejectReasons = ["no_sni", "unknown_sni", "not_tls", "limit", "timeout", "proxy_protocol"];

    private readonly Gauge _open;
    private readonly Counter _bytes;
    private readonly Counter _timedOut;
    private readonly Counter.Child[] _rejected;

    public ConnectionMetrics(IMetricFactory factory)
    {
        _open = factory.CreateGauge("dnsbridge_open_connections", "Connections being relayed to the target now, by cutover.", ["cutover"]);
        _bytes = factory.CreateCounter("dnsbridge_forwarded_bytes_total", "Bytes relayed by connection forwarding, by cutover and direction (to_target, to_client).", ["cutover", "direction"]);
        _timedOut = factory.CreateCounter("dnsbridge_timed_out_connections_total", "Relayed connections closed by Listen:ConnectionIdleTimeout (idle) or Listen:ConnectionHalfCloseTimeout (half_close), by cutover.", ["cutover", "reason"]);
        var rejected = factory.CreateCounter("dnsbridge_rejected_connections_total", "Connections closed without being relayed, by reason.", ["reason"]);
        _rejected = [.. RejectReasons.Select(r => rejected.WithLabels(r))];
        foreach (var child in _rejected)
        {
            child.Publish();
        }
    }

    public void Rejected(ConnectionRejection reason) => _rejected[(int)reason].Inc();

    public double RejectedCount(ConnectionRejection reason) => _rejected[(int)reason].Value;

    /// <summary>Series of one cutover, published at 0 so "nothing relayed" is visible.</summary>
    public CutoverSeries For(string cutover)
    {
        var series = new CutoverSeries(
            _open.WithLabels(cutover), _bytes.WithLabels(cutover, "to_target"), _bytes.WithLabels(cutover, "to_client"),
            _timedOut.WithLabels(cutover, "idle"), _timedOut.WithLabels(cutover, "half_close"));
        series.Open.Publish();
        series.ToTarget.Publish();
        series.ToClient.Publish();
        series.IdleTimeouts.Publish();
        series.HalfCloseTimeouts.Publish();
        return series;
    }

    internal sealed record CutoverSeries(Gauge.Child Open, Counter.Child ToTarget, Counter.Child ToClient, Counter.Child IdleTimeouts, Counter.Child HalfCloseTimeouts);
}
