using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Drain;

/// <summary>
/// Real processes on loopback: DnsBridge serving, a real upstream, a dnsmasq resolver, a webhook receiver that is
/// down; exact counts under concurrent load; the drain alert survives a kill -9 and is delivered exactly once.
/// </summary>
public sealed class DrainEndToEndTests : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-e2e").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Counts_exactly_under_load_and_delivers_drain_complete_once_across_a_kill_9()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [target.Address] });
        // The receiver is down (503) while the first process runs, and a fresh one answers 200 on the same port after
        // the kill: a request the first process sent just before it died is answered by the down receiver however
        // late the test process gets to it, so each 200 below is a send of the restarted process.
        var deliveries = new ConcurrentQueue<(string Key, string Event, int Status)>();
        Func<int, Action<WebApplication>> receiverAnswering = status => app => app.MapPost("/hook", async (HttpContext c) =>
        {
            using var body = await JsonDocument.ParseAsync(c.Request.Body);
            deliveries.Enqueue((c.Request.Headers["Idempotency-Key"].ToString(), body.RootElement.GetProperty("event").GetString()!, status));
            return Results.StatusCode(status);
        });
        await using var receiverDown = await TestUpstream.StartAsync(receiverAnswering(503));

        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[]
                {
                    new
                    {
                        Name = "shop", Hosts = new[] { Host }, Target = new { target.Address, target.Port, Scheme = "http" },
                        SourceAddresses = new[] { "198.51.100.7" },
                        Drain = new { QuietPeriod = "00:00:03", Exclude = new { Paths = new[] { "/healthz" } } },
                    },
                },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "local", resolver.Address, Region = "loopback" } } },
                Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
                Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{receiverDown.Port}/hook" } } },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));

        var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        try
        {
            // 16 clients x 50 requests at once, plus excluded health checks: counted == sent, exactly.
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
            {
                using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
                for (var n = 0; n < 50; n++)
                {
                    using var response = await client.GetAsync($"http://{Host}/{(n % 10 == 0 ? "healthz" : "p")}");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }));
            using var admin = new HttpClient { BaseAddress = bridge.AdminUri };
            var metrics = await admin.GetStringAsync("/metrics");
            Assert.Equal(16 * 45, MetricsText.Value(metrics, "dnsbridge_residual_requests_total", ("cutover", "shop")));
            Assert.Equal(16 * 5, MetricsText.Value(metrics, "dnsbridge_excluded_requests_total", ("cutover", "shop"), ("reason", "path")));
            Assert.Equal(16 * 50, MetricsText.Value(metrics, "dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "2xx")));

            // Drained a few seconds after the traffic stopped; the receiver is down, so the alert waits in the outbox.
            await WaitAsync(() => deliveries.Any(d => d.Event == "drain_complete"), TimeSpan.FromSeconds(40), bridge);
            bridge.Kill();
        }
        finally
        {
            await bridge.DisposeAsync();
        }

        await receiverDown.DisposeAsync();
        await using var receiverUp = await TestUpstream.StartAsync(receiverAnswering(200), port: receiverDown.Port);
        await using var restarted = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        await WaitAsync(() => deliveries.Any(d => d.Event == "drain_complete" && d.Status == 200), TimeSpan.FromSeconds(40), restarted);

        using var api = new HttpClient { BaseAddress = restarted.AdminUri };
        using var doc = JsonDocument.Parse(await api.GetStringAsync("/api/cutovers/shop"));
        Assert.Equal("drained", doc.RootElement.GetProperty("drain").GetProperty("state").GetString());
        Assert.Equal(16 * 45, doc.RootElement.GetProperty("residual").GetProperty("total").GetInt64());
        var events = doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal(1, events.Count(e => e == "drain_complete"));

        // Every event reaches the receiver exactly once with success (earlier events may still be in their
        // backoff, which a restart does not reset), always under its one idempotency key.
        await WaitAsync(() => deliveries.GroupBy(d => d.Key).All(g => g.Any(d => d.Status == 200)), TimeSpan.FromSeconds(60), restarted);
        var twice = deliveries.GroupBy(d => d.Key).Where(g => g.Count(d => d.Status == 200) != 1).Select(g => g.First().Event).ToList();
        Assert.True(twice.Count == 0, $"delivered more than once: {string.Join(", ", twice)}; dnsbridge output:\n{restarted.Output}");
        Assert.Single(deliveries.Where(d => d.Event == "drain_complete").Select(d => d.Key).Distinct());
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, BridgeProcess bridge)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met; dnsbridge output:\n" + bridge.Output);
            }

            await Task.Delay(100);
        }
    }
}
