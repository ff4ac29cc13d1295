using System.Collections.Concurrent;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// A whole DnsBridge with a receiver that is down: the pending alert shows on /metrics, in the API and on the status
/// page, and an edit of the webhook's URL in the config file (a rotated token) delivers it to the new URL, once.
/// </summary>
public sealed class OutboxReloadTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero));

    private static object Section(TestUpstream target, string url) => new
    {
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
        Alerts = new { Webhooks = new[] { new { Name = "ops", Url = url } } },
    };

    /// <summary>Advances the fake clock a second at a time (the dispatcher's loop runs on it) until the condition holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task A_pending_alert_is_shown_everywhere_and_goes_to_the_edited_url_once()
    {
        var old = new ConcurrentQueue<string>();
        var moved = new ConcurrentQueue<string>();
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var receivers = await TestUpstream.StartAsync(app =>
        {
            app.MapPost("/old/{token}", (HttpContext c) =>
            {
                old.Enqueue(c.Request.Headers["Idempotency-Key"].ToString());
                return Results.StatusCode(503);
            });
            app.MapPost("/new/{token}", (HttpContext c) =>
            {
                moved.Enqueue(c.Request.Headers["Idempotency-Key"].ToString());
                return Results.Ok();
            });
        });
        await using var bridge = await BridgeHost.StartAsync(Section(target, $"http://127.0.0.1:{receivers.Port}/old/token-one"), s => s.AddSingleton<TimeProvider>(_time));

        Assert.True(bridge.Services.GetRequiredService<EventJournal>().Raise("shop", EventNames.DrainComplete, "shop: drained", _time.GetUtcNow()));
        var id = bridge.Services.GetRequiredService<DnsBridge.State.IEventStore>().Events("shop").Single().Id;
        await AdvanceUntilAsync(() => old.Count >= 2);

        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.True(bridge.Metric("dnsbridge_alerts_oldest_pending_age_seconds") >= 1);
        using (var admin = bridge.CreateAdminClient())
        {
            using var api = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
            var pending = Assert.Single(api.RootElement.GetProperty("pendingAlerts").EnumerateArray().ToList());
            Assert.Equal("ops", pending.GetProperty("receiver").GetString());
            Assert.StartsWith($"http://127.0.0.1:{receivers.Port} #", pending.GetProperty("webhook").GetString(), StringComparison.Ordinal);
            Assert.Equal("HTTP 503", pending.GetProperty("lastError").GetString());
            Assert.True(pending.GetProperty("attempts").GetInt32() >= 2);
            Assert.Equal(_time.GetUtcNow().Date, pending.GetProperty("since").GetDateTimeOffset().Date);
        }

        var (dom, _) = await Chromium.DumpDomAsync(new Uri(bridge.AdminUri, "/cutovers/shop"), virtualTimeMs: 2_000);
        Assert.Contains("<caption>Pending alerts</caption>", dom, StringComparison.Ordinal);
        Assert.Contains("<td>drain_complete</td><td>ops<br><small>http://127.0.0.1:", dom, StringComparison.Ordinal);
        Assert.Contains("<td>HTTP 503</td>", dom, StringComparison.Ordinal);
        Assert.Contains("2026-11-27 18:00:00 UTC", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("token-one", dom, StringComparison.Ordinal);

        // The token is rotated: same receiver name, new URL. The queued alert goes there, with its key, once.
        await bridge.EditConfigAsync(Section(target, $"http://127.0.0.1:{receivers.Port}/new/token-two"));
        await AdvanceUntilAsync(() => !moved.IsEmpty);
        for (var i = 0; i < 60; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(5);
        }

        Assert.Equal([id], moved);
        Assert.All(old, key => Assert.Equal(id, key));
        Assert.Equal(0, bridge.Metric("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.Equal(0, bridge.Metric("dnsbridge_alerts_oldest_pending_age_seconds"));
    }
}
