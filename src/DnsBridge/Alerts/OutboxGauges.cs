using DnsBridge.Events;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

/// <summary>
/// <c>dnsbridge_alerts_pending</c> (by event) and <c>dnsbridge_alerts_oldest_pending_age_seconds</c>, read from the
/// outbox at scrape time (like <c>dnsbridge_state_store_failing</c>), so they say what the outbox holds with no timer
/// of their own: alerts still being tried for a receiver that is down show here long before anyone misses them.
/// </summary>
public static class OutboxGauges
{
    public static void Register(IEventStore events, IMetricFactory metrics, CollectorRegistry registry, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(time);
        var pending = metrics.CreateGauge("dnsbridge_alerts_pending",
            "Alert deliveries not delivered yet and still being tried (neither delivered nor failed), by event.", ["event"]);
        var oldest = metrics.CreateGauge("dnsbridge_alerts_oldest_pending_age_seconds",
            "Age of the oldest alert still being tried (since its event was raised); 0 when none is pending.");
        string[] known = [.. EventNames.All, EventNames.TestAlert];
        foreach (var e in known)
        {
            pending.WithLabels(e).Set(0);
        }

        registry.AddBeforeCollectCallback(() =>
        {
            OutboxBacklog backlog;
            try
            {
                backlog = events.Backlog();
            }
            catch (StateStoreException)
            {
                // The outbox cannot be read now (the dispatcher logs it, dnsbridge_state_store_failing shows it): keep
                // the last values rather than report an empty outbox.
                return;
            }

            foreach (var e in known.Union(backlog.ByEvent.Keys))
            {
                pending.WithLabels(e).Set(backlog.ByEvent.GetValueOrDefault(e));
            }

            oldest.Set(backlog.OldestSince is { } since ? Math.Max(0, (time.GetUtcNow() - since).TotalSeconds) : 0);
        });
    }
}
