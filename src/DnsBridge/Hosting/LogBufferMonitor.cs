using Prometheus;

namespace DnsBridge.Hosting;

/// <summary>
/// Watches the <see cref="LogBuffer"/> in front of stdout. It drops events rather than block when stdout cannot keep
/// up (a slow log shipper, a full pipe): the access log is best-effort under overload, the residual counters are
/// exact, and what was dropped is counted in <c>dnsbridge_log_events_dropped_total</c>.
/// </summary>
internal sealed class LogBufferMonitor
{
    private LogBuffer? _buffer;

    public long Dropped => _buffer?.Dropped ?? 0;

    public void Watch(LogBuffer buffer) => _buffer = buffer;

    /// <summary>Publishes the count, read at scrape time (no timer of its own).</summary>
    public void Publish(IMetricFactory metrics, CollectorRegistry registry)
    {
        var dropped = metrics.CreateCounter("dnsbridge_log_events_dropped_total",
            "Log events (access log first) dropped because stdout could not keep up; forwarding and counting never wait for the log.");
        registry.AddBeforeCollectCallback(() => dropped.IncTo(Dropped));
    }
}
