using DnsBridge.Events;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

/// <summary>
/// <c>dnsbridge_alerts_pending</c> (by event) and <c>dnsbridge_alerts_oldest_pending_age_seconds</c>, read from the
/// outbox when scraped (waited for a quarter of a second at most), so they say what the outbox holds with no
/// timer of their own: alerts still being tried for a receiver that is down show here long before anyone misses them.
/// </summary>
internal static class OutboxGauges
{
    /// <summary>How long a scrape waits for the backlog read: far below Prometheus' and probes' timeouts.</summary>
    private static readonly TimeSpan ScrapeWait = TimeSpan.FromMilliseconds(250);

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

        // A scrape waits for the database at most a moment (Prometheus and probes read /metrics exactly when the
        // database may be slow): the read runs on a state thread, and a scrape it does not finish for shows the last
        // backlog read (while the outbox cannot be read at all, the last values stay: the dispatcher logs it, and
        // dnsbridge_state_store_failing shows it). One read at a time, however many scrapes come.
        OutboxBacklog? last = null;
        Task? reading = null;
        var gate = new Lock();
        registry.AddBeforeCollectCallback(async cancel =>
        {
            Task read;
            lock (gate)
            {
                read = reading is { IsCompleted: false } running ? running : reading = StateThreads.Run(() =>
                {
                    try
                    {
                        last = events.Backlog();
                    }
                    catch (StateStoreException)
                    {
                    }
                });
            }

            await Task.WhenAny(read, Task.Delay(ScrapeWait, cancel));
            if (last is not { } backlog)
            {
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
