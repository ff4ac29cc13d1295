using System.Net;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Drain;

/// <summary>
/// docs/guides/rolling-back.md on loopback with real processes: a DnsBridge at the source forwarding to the target, a
/// second one at the target with the source as its target (the same product pointed the other way), a real source app
/// and target app that answer differently, and a real dnsmasq whose answer flips source → target and back.
/// </summary>
public sealed class RollbackPairingTests : IDisposable
{
    private const string Host = "shop.example.test";

    // Two loopback addresses (all of 127/8 is local on Linux): the record's answer before the switch (the source
    // site, where the source app listens) and after it (the target EIP, where the target app listens).
    private const string SourceIp = "127.0.0.3";
    private const string TargetIp = "127.0.0.2";

    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(3);

    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-rollback").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_reverse_bridge_at_the_target_serves_the_flip_back_from_the_source_and_drains_once()
    {
        var sourceHits = 0;
        var targetHits = 0;
        var via = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var sourceApp = await TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) =>
        {
            Interlocked.Increment(ref sourceHits);
            via.Enqueue(c.Request.Headers["X-DnsBridge-Via"].ToString());
            return "source app";
        }), address: SourceIp);
        await using var targetApp = await TestUpstream.StartAsync(app => app.Map("/{**p}", () =>
        {
            Interlocked.Increment(ref targetHits);
            return "target app";
        }), address: TargetIp);
        // TTL 1 s: the stale-cache window the drain waits out after propagation is one second, as with a TTL lowered ahead.
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [SourceIp] }, ttl: 1);

        // At the source: the cutover as the runbook sets it up (the source's own quiet period is not under test here).
        await using var forward = await StartAsync("source-side", "shop", targetApp, sourceAddresses: [SourceIp], expect: [TargetIp], dns, "01:00:00");
        using var forwardApi = new HttpClient { BaseAddress = forward.AdminUri };
        await WaitForAsync(forwardApi, "shop", c => Ratio(c) == 0 && State(c) == "pending", "the source-side bridge sees DNS still at the source", forward);

        // The switch: DNS answers the target; requests still arriving at the source reach the target app.
        await dns.SetAsync(Host, TargetIp);
        await WaitForAsync(forwardApi, "shop", c => Ratio(c) == 1 && Complete(c), "the source-side bridge sees the switch complete", forward);
        using (var client = LoopbackClient.Create(forward.ProxyEndPoint))
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal("target app", await client.GetStringAsync(new Uri($"http://{Host}/cart")));
            }
        }

        // The rollback is decided. At the target: the reverse bridge (Target = the source, SourceAddresses = the target
        // EIP, Dns.Expect = the source addresses). DNS still answers the target, which for this bridge is its source.
        await using var reverse = await StartAsync("target-side", "shop-rollback", sourceApp, sourceAddresses: [TargetIp], expect: [SourceIp], dns, QuietPeriod.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        using var reverseApi = new HttpClient { BaseAddress = reverse.AdminUri };
        await WaitForAsync(reverseApi, "shop-rollback", c => Ratio(c) == 0 && State(c) == "pending", "the target-side bridge sees DNS still at the target", reverse);

        // The target's load balancer now sends the hosts to the reverse bridge: a client that cached the target keeps
        // arriving there, one request every 100 ms, before, during and after the flip back.
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var cachedClient = Task.Run(async () =>
        {
            using var client = LoopbackClient.Create(reverse.ProxyEndPoint, TimeSpan.FromSeconds(10));
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!stop.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                Assert.Equal("source app", await client.GetStringAsync(new Uri($"http://{Host}/cart")));
                Interlocked.Increment(ref sent);
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);
        await WaitUntilAsync(() => Volatile.Read(ref sent) >= 5 || cachedClient.IsCompleted, "the cached client is served through the target-side bridge", reverse);
        await StillArrivingAsync(cachedClient);

        // The flip back: DNS answers the source again. The target-side bridge follows it to 1 and keeps draining while
        // the cached client still arrives; the source-side bridge sees its own propagation fall back to 0.
        await dns.SetAsync(Host, SourceIp);
        var flippedBack = await WaitForAsync(reverseApi, "shop-rollback", c => Ratio(c) == 1 && Complete(c), "the target-side bridge sees the flip back complete", reverse);
        // In the reverse bridge's words the source's address is its target: what it expects once DNS has moved.
        var resolver = flippedBack.GetProperty("propagation").GetProperty("resolvers")[0];
        Assert.Equal("target", resolver.GetProperty("answer").GetString());
        Assert.Equal([SourceIp], resolver.GetProperty("addresses").EnumerateArray().Select(e => e.GetString()));
        await WaitForAsync(forwardApi, "shop", c => Ratio(c) == 0, "the source-side bridge sees DNS back at the source", forward);
        var afterFlipBack = Volatile.Read(ref sent);
        await WaitUntilAsync(() => Volatile.Read(ref sent) >= afterFlipBack + 5 || cachedClient.IsCompleted, "the cached client keeps arriving after the flip back", reverse);
        await StillArrivingAsync(cachedClient);
        await WaitForAsync(reverseApi, "shop-rollback", c => State(c) == "draining", "the target-side bridge drains while the cached client arrives", reverse);
        await StillArrivingAsync(cachedClient);

        // The cached client finally re-resolves (it stops arriving); the quiet period starts after its last request.
        await stop.CancelAsync();
        await cachedClient;
        var stoppedAt = DateTime.UtcNow;
        var total = Volatile.Read(ref sent);

        var drained = await WaitForAsync(reverseApi, "shop-rollback", c => State(c) == "drained", "the target-side bridge drains", reverse, TimeSpan.FromSeconds(40));
        Assert.True(DateTime.UtcNow - stoppedAt >= QuietPeriod, $"drained {DateTime.UtcNow - stoppedAt} after the last request, before the quiet period of {QuietPeriod}");
        Assert.Equal(total, drained.GetProperty("residual").GetProperty("total").GetInt64());

        // Exactly one drain_complete, still one after a few more detector ticks (each poll a second apart).
        var drainedPollAt = drained.GetProperty("propagation").GetProperty("at").GetDateTimeOffset();
        var later = await WaitForAsync(reverseApi, "shop-rollback", c => c.GetProperty("propagation").GetProperty("at").GetDateTimeOffset() > drainedPollAt.AddSeconds(2), "the target-side bridge polls on after the drain", reverse);
        Assert.Equal("drained", State(later));
        var events = later.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal(1, events.Count(e => e == "drain_complete"));
        Assert.Equal(1, events.Count(e => e == "dns_switched"));
        Assert.Equal(1, events.Count(e => e == "propagation_complete"));
        Assert.DoesNotContain("drain_regressed", events);

        // What a user reads on /metrics: every request at the target-side bridge was residual and went to the source.
        var metrics = await reverseApi.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(total, MetricsText.Value(metrics, "dnsbridge_residual_requests_total", ("cutover", "shop-rollback")));
        Assert.Equal(total, MetricsText.Value(metrics, "dnsbridge_forwarded_requests_total", ("cutover", "shop-rollback"), ("code", "2xx")));
        Assert.Equal(1, MetricsText.Value(metrics, "dnsbridge_dns_propagation_ratio", ("cutover", "shop-rollback")));
        Assert.Equal(total, Volatile.Read(ref sourceHits));
        Assert.Equal(10, Volatile.Read(ref targetHits));

        // Each forwarded request names the one DnsBridge it passed (what tells a loop from a chain, below).
        Assert.All(via, v => Assert.Matches("^dnsbridge-[0-9a-f]{12}$", v));
    }

    /// <summary>
    /// The pitfall of the guide: the source load balancer still sends the hosts to the forward instance while the
    /// target's sends them to the reverse one. A request then comes back to the instance it passed first, which
    /// recognises its own pseudonym in X-DnsBridge-Via and
    /// answers 508 at once instead of sending it round again on a new connection until a timeout.
    /// </summary>
    [Fact]
    public async Task Two_instances_forwarding_to_each_other_answer_508_at_the_second_pass_instead_of_looping()
    {
        int forwardPort = BridgeProcess.FreePort(), reversePort = BridgeProcess.FreePort();
        await using var forward = await StartLoopedAsync("source-side", "shop", forwardPort, reversePort);
        await using var reverse = await StartLoopedAsync("target-side", "shop-rollback", reversePort, forwardPort);

        using var client = LoopbackClient.Create(forward.ProxyEndPoint, TimeSpan.FromSeconds(10));
        var started = DateTime.UtcNow;
        using var response = await client.GetAsync(new Uri($"http://{Host}/cart"));

        Assert.Equal(HttpStatusCode.LoopDetected, response.StatusCode);
        Assert.Contains("already passed through this DnsBridge", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), $"508 after {DateTime.UtcNow - started}");
        using var forwardApi = new HttpClient { BaseAddress = forward.AdminUri };
        using var reverseApi = new HttpClient { BaseAddress = reverse.AdminUri };
        var forwardMetrics = await forwardApi.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var reverseMetrics = await reverseApi.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(1, MetricsText.Value(forwardMetrics, "dnsbridge_rejected_requests_total", ("reason", "loop")));
        Assert.Equal(0, MetricsText.Value(reverseMetrics, "dnsbridge_rejected_requests_total", ("reason", "loop")));
        Assert.Equal(1, MetricsText.Value(forwardMetrics, "dnsbridge_forwarded_requests_total", ("cutover", "shop")));
        Assert.Equal(1, MetricsText.Value(reverseMetrics, "dnsbridge_forwarded_requests_total", ("cutover", "shop-rollback")));
        Assert.Equal(1, MetricsText.Value(forwardMetrics, "dnsbridge_residual_requests_total", ("cutover", "shop")));

        // The log line reaches stdout through the asynchronous log buffer, after the response.
        await WaitUntilAsync(() => forward.Output.Contains("came back through this DnsBridge", StringComparison.Ordinal), "the loop logged (event 302)", forward);
    }

    private async Task<BridgeProcess> StartLoopedAsync(string site, string name, int proxyPort, int targetPort)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, site)).FullName;
        var adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(directory, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = name, Hosts = new[] { Host }, Target = new { Address = "127.0.0.1", Port = targetPort, Scheme = "http", Timeout = "00:00:20" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Propagation = new { Enabled = false },

                // Loopback is not a trusted proxy here, as two sites' public addresses are not: forwarding headers
                // are replaced at each hop and never grow, so nothing but the loop check would end the round trips.
                TrustedProxies = new[] { "10.0.0.0/8" },
                State = new { Path = Path.Combine(directory, "state.db") },
            },
        }));
        return await BridgeProcess.StartAsync(config, proxyPort, adminPort);
    }

    /// <summary>The cached client runs until stopped: ended early, it failed (rethrown here) or ran out of its bound.</summary>
    private static async Task StillArrivingAsync(Task cachedClient)
    {
        if (cachedClient.IsCompleted)
        {
            await cachedClient;
            Assert.Fail("the cached client stopped before it was told to");
        }
    }

    private async Task<BridgeProcess> StartAsync(string site, string name, TestUpstream target, string[] sourceAddresses, string[] expect, Dnsmasq dns, string quietPeriod)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, site)).FullName;
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(directory, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[]
                {
                    new
                    {
                        Name = name,
                        Hosts = new[] { Host },
                        Target = new { target.Address, target.Port, Scheme = "http" },
                        SourceAddresses = sourceAddresses,
                        Dns = new { Types = new[] { "A" }, Expect = expect },
                        Drain = new { QuietPeriod = quietPeriod, Threshold = 0 },
                    },
                },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "local", dns.Address, Region = "loopback" } } },
                Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
                State = new { Path = Path.Combine(directory, "state.db") },
            },
        }));
        return await BridgeProcess.StartAsync(config, proxyPort, adminPort);
    }

    private static double? Ratio(JsonElement cutover) =>
        cutover.GetProperty("propagation") is { ValueKind: JsonValueKind.Object } p ? p.GetProperty("ratio").GetDouble() : null;

    private static bool Complete(JsonElement cutover) =>
        cutover.GetProperty("propagation") is { ValueKind: JsonValueKind.Object } p && p.GetProperty("complete").GetBoolean();

    private static string? State(JsonElement cutover) => cutover.GetProperty("drain").GetProperty("state").GetString();

    private static async Task<JsonElement> CutoverAsync(HttpClient api, string name)
    {
        using var doc = JsonDocument.Parse(await api.GetStringAsync(new Uri($"/api/cutovers/{name}", UriKind.Relative)));
        return doc.RootElement.Clone();
    }

    /// <summary>Polls the cutover's API document until <paramref name="condition"/> holds (bounded) and returns that document.</summary>
    private static async Task<JsonElement> WaitForAsync(HttpClient api, string name, Func<JsonElement, bool> condition, string what, BridgeProcess bridge, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var cutover = await CutoverAsync(api, name);
            if (condition(cutover))
            {
                return cutover;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not within the timeout; last document:\n{cutover}\ndnsbridge output:\n{bridge.Output}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, BridgeProcess bridge)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not within 20 s; dnsbridge output:\n{bridge.Output}");
            }

            await Task.Delay(50);
        }
    }
}
