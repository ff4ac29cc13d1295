using DnsBridge.Events;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

/// <summary>
/// <c>dnsbridge_alerts_pending</c> (by event) and <c>dnsbridge_alerts_oldest_pending_age_seconds</c>, read from the
/// outbox when scraped (at most a couple of seconds old, never waited for), so they say what the outbox holds with no
/// timer of their own: alerts still being tried for a receiver that is down show here long before anyone misses them.
/// </summary>
public static class OutboxGauges
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(2);

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

        // A scrape never waits for the database (Prometheus and probes read /metrics exactly when the database may be
        // slow): it shows the last backlog read, and starts the next read on a state thread when that one is older than
        // a few seconds. While the outbox cannot be read the last values stay (the dispatcher logs it, and
        // dnsbridge_state_store_failing shows it) rather than an empty outbox.
        OutboxBacklog? last = null;
        var reading = 0;
        var readAt = DateTimeOffset.MinValue;
        registry.AddBeforeCollectCallback(() =>
        {
            var now = time.GetUtcNow();
            if (now - readAt >= RefreshEvery && Interlocked.CompareExchange(ref reading, 1, 0) == 0)
            {
                readAt = now;
                _ = StateThreads.Run(() =>
                {
                    try
                    {
                        last = events.Backlog();
                    }
                    catch (StateStoreException)
                    {
                    }
                    finally
                    {
                        Volatile.Write(ref reading, 0);
                    }
                });
            }

            if (last is not { } backlog)
            {
                return;
            }

            foreach (var e in known.Union(backlog.ByEvent.Keys))
            {
                pending.WithLabels(e).Set(backlog.ByEvent.GetValueOrDefault(e));
            }

            oldest.Set(backlog.OldestSince is { } since ? Math.Max(0, (now - since).TotalSeconds) : 0);
        });
    }
}
