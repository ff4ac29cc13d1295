using System.Collections.Concurrent;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// DESIGN.md: a receiver that is down "loses none". The outbox keeps trying (capped backoff) for as long as an alert
/// is undelivered, bounded only by <c>Alerts:GiveUpAfter</c>; a real receiver on loopback, a real SQLite outbox and a
/// fake clock driven in steps, with the dispatcher's pass run a known number of times.
/// </summary>
public sealed class OutboxRetryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<(string Key, int Status)> _requests = new();
    private volatile bool _up;
    private TestUpstream _receiver = null!;

    public async Task InitializeAsync() =>
        _receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", (HttpContext c) =>
        {
            var status = _up ? 200 : 503;
            _requests.Enqueue((c.Request.Headers["Idempotency-Key"].ToString(), status));
            return Results.StatusCode(status);
        }));

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private string Url => $"http://127.0.0.1:{_receiver.Port}/hook";

    /// <summary>Advances the clock by <paramref name="step"/> and runs one dispatcher pass, <paramref name="passes"/> times.</summary>
    private async Task DriveAsync(OutboxHarness outbox, TimeSpan step, int passes)
    {
        for (var i = 0; i < passes; i++)
        {
            _time.Advance(step);
            await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_receiver_down_for_a_weekend_gets_the_alert_exactly_once_when_it_comes_back_with_the_same_key()
    {
        using var outbox = new OutboxHarness(_time, null, ("ops", Url));
        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        // Friday 18:00 to Monday 06:00, five minutes at a time: retried all along, far past the old limit of 30 attempts.
        await DriveAsync(outbox, TimeSpan.FromMinutes(5), 60 * 12);
        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.Null(row.DeliveredAt);
        Assert.Null(row.FailedAt);
        Assert.True(row.Attempts > 250, $"{row.Attempts} attempts in 60 hours (about every 10 minutes once capped, seen in 5-minute steps)");
        Assert.Equal(row.Attempts, _requests.Count);
        Assert.Equal(1, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.Equal(0, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "dns_switched")));
        Assert.Equal(TimeSpan.FromHours(60).TotalSeconds, await outbox.MetricAsync("dnsbridge_alerts_oldest_pending_age_seconds"));
        var pending = Assert.Single(outbox.Stores.Events.PendingAlerts("shop"));
        Assert.Equal(("ops", "HTTP 503", false, outbox.Event.At), (pending.Receiver, pending.LastError, pending.Failed, pending.Since));

        // Monday morning the receiver is back: within the capped backoff (10 min ±20 %) it has the alert, once.
        _up = true;
        await DriveAsync(outbox, TimeSpan.FromMinutes(1), 13);
        var delivered = _requests.Where(r => r.Status == 200).ToList();
        Assert.Single(delivered);
        Assert.All(_requests, r => Assert.Equal("e1", r.Key));
        Assert.NotNull(Assert.Single(outbox.Stores.Events.Outbox("e1")).DeliveredAt);
        Assert.Equal(0, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.Equal(0, await outbox.MetricAsync("dnsbridge_alerts_oldest_pending_age_seconds"));
        Assert.Empty(outbox.Stores.Events.PendingAlerts("shop"));

        // And never again, however many passes follow.
        var count = _requests.Count;
        await DriveAsync(outbox, TimeSpan.FromMinutes(10), 50);
        Assert.Equal(count, _requests.Count);
    }

    [Fact]
    public async Task GiveUpAfter_fails_the_row_at_the_deadline_and_nothing_is_tried_after_it()
    {
        using var outbox = new OutboxHarness(_time, TimeSpan.FromHours(1), ("ops", Url));
        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        await DriveAsync(outbox, TimeSpan.FromMinutes(1), 59);
        Assert.Null(Assert.Single(outbox.Stores.Events.Outbox("e1")).FailedAt);
        Assert.Equal(1, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));

        // The last try is made at the deadline itself (the backoff is cut to it), and its failure is final.
        await DriveAsync(outbox, TimeSpan.FromMinutes(1), 1);
        var row = Assert.Single(outbox.Stores.Events.Outbox("e1"));
        Assert.Equal(outbox.Event.At.AddHours(1), row.FailedAt);
        Assert.Contains("GiveUpAfter", row.LastError, StringComparison.Ordinal);
        Assert.Equal(0, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.Equal(1, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "failed")));

        var count = _requests.Count;
        _up = true;
        await DriveAsync(outbox, TimeSpan.FromMinutes(10), 50);
        Assert.Equal(count, _requests.Count);
        Assert.True(Assert.Single(outbox.Stores.Events.PendingAlerts("shop")).Failed);
    }

    [Fact]
    public async Task A_row_follows_its_receiver_name_to_an_edited_url_and_fails_only_when_the_name_is_gone()
    {
        var received = new ConcurrentQueue<string>();
        await using var moved = await TestUpstream.StartAsync(app => app.MapPost("/new/{token}", (HttpContext c) =>
        {
            received.Enqueue(c.Request.Headers["Idempotency-Key"].ToString());
            return Results.Ok();
        }));
        using var outbox = new OutboxHarness(_time, null, ("ops", Url), ("gone", Url));
        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);
        Assert.Equal(2, _requests.Count);

        // A rotated token: same name, new URL. "gone" is removed from the config.
        outbox.Config = outbox.Config with
        {
            Alerts = new AlertsConfig { Webhooks = [new WebhookConfig { Name = "ops", Url = $"http://127.0.0.1:{moved.Port}/new/rotated" }] },
        };
        await DriveAsync(outbox, TimeSpan.FromSeconds(2), 5);

        Assert.Equal(["e1"], received);
        var rows = outbox.Stores.Events.Outbox("e1").ToDictionary(r => r.Receiver);
        Assert.NotNull(rows["ops"].DeliveredAt);
        Assert.NotNull(rows["gone"].FailedAt);
        Assert.Equal("receiver no longer configured", rows["gone"].LastError);
        Assert.Equal(2, _requests.Count);
    }
}
