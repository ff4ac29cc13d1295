using Prometheus;

namespace DnsBridge.Residual;

/// <summary>The residual families of DESIGN.md's metric table, created once per registry.</summary>
internal sealed class ResidualMetrics(IMetricFactory factory)
{
    public Counter Requests { get; } = factory.CreateCounter("dnsbridge_residual_requests_total", "Residual requests (forwarded, not excluded) by cutover.", ["cutover"]);

    public Counter Connections { get; } = factory.CreateCounter("dnsbridge_residual_connections_total", "Residual connections (relayed, not excluded) by cutover.", ["cutover"]);

    public Counter Excluded { get; } = factory.CreateCounter("dnsbridge_excluded_requests_total", "Forwarded requests excluded from residual traffic, by cutover and reason.", ["cutover", "reason"]);

    public Gauge LastRequest { get; } = factory.CreateGauge("dnsbridge_residual_last_request_timestamp_seconds", "Unix time of the last residual request, by cutover (0: none yet).", ["cutover"]);
}
