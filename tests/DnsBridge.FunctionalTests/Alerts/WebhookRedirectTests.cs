using System.Collections.Concurrent;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// A webhook receiver answering 307 to another host: the configured headers (an API key) must not follow the alert
/// there, and the alert is not delivered: it is rejected with the status and the Location's host (not its query).
/// </summary>
public sealed class WebhookRedirectTests
{
    private const string ApiKey = "K0-API-KEY-never-elsewhere";
    private const string LocationSecret = "L0CATIONSECRET";

    [Fact]
    public async Task A_redirect_is_not_followed_and_the_alert_is_rejected_naming_the_status_and_host()
    {
        var elsewhere = new ConcurrentQueue<string>();
        await using var other = await TestUpstream.StartAsync(
            app => app.Map("/{**p}", (HttpContext c) =>
            {
                elsewhere.Enqueue(c.Request.Headers["X-Api-Key"].ToString());
                return Results.Ok();
            }),
            address: "127.0.0.2");
        var asked = 0;
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref asked);
            return Results.Redirect($"http://127.0.0.2:{other.Port}/collect?sig={LocationSecret}", permanent: false, preserveMethod: true);
        }));
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
            Alerts = new { Webhooks = new[] { new { Name = "ops", Url = $"http://127.0.0.1:{receiver.Port}/hook", Headers = new Dictionary<string, string> { ["X-Api-Key"] = ApiKey } } } },
        });

        Assert.True(bridge.Services.GetRequiredService<EventJournal>().Raise("shop", EventNames.DrainComplete, "shop: drained", DateTimeOffset.UtcNow));
        var events = bridge.Services.GetRequiredService<IEventStore>();
        var id = events.Events("shop").Single().Id;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (events.Outbox(id).Single() is { DeliveredAt: null, FailedAt: null } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var row = events.Outbox(id).Single();
        Assert.Null(row.DeliveredAt);
        Assert.True(row.FailedAt is not null, row.LastError);
        Assert.Equal(1, Volatile.Read(ref asked));
        Assert.Empty(elsewhere);
        Assert.Equal(0, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));
        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "rejected")));
        var line = Assert.Single(bridge.Logs.Messages, m => m.Contains("rejected by", StringComparison.Ordinal));
        Assert.Contains("HTTP 307 redirect", line, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.2:{other.Port}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(LocationSecret, bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, bridge.Logs.AllText, StringComparison.Ordinal);
    }
}
