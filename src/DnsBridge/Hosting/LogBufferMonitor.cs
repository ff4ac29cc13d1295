using Prometheus;
using Serilog.Sinks.Async;

namespace DnsBridge.Hosting;

/// <summary>
/// Watches the async buffer in front of stdout. It drops events rather than block when stdout cannot keep up (a
/// slow log shipper, a full pipe): the access log is best-effort under overload, the residual counters are exact,
/// and what was dropped is counted in <c>dnsbridge_log_events_dropped_total</c>.
/// </summary>
public sealed class LogBufferMonitor : IAsyncLogEventSinkMonitor
{
    private IAsyncLogEventSinkInspector? _inspector;

    public long Dropped => _inspector?.DroppedMessagesCount ?? 0;

    public void StartMonitoring(IAsyncLogEventSinkInspector inspector) => _inspector = inspector;

    public void StopMonitoring(IAsyncLogEventSinkInspector inspector) => _inspector = null;

    /// <summary>Publishes the count, read at scrape time (no timer of its own).</summary>
    public void Publish(IMetricFactory metrics, CollectorRegistry registry)
    {
        var dropped = metrics.CreateCounter("dnsbridge_log_events_dropped_total",
            "Log events (access log first) dropped because stdout could not keep up; forwarding and counting never wait for the log.");
        registry.AddBeforeCollectCallback(() => dropped.IncTo(Dropped));
    }
}
