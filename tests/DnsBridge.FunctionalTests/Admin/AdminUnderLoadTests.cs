using System.Diagnostics;
using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Admin;

/// <summary>
/// Probes and Prometheus read the admin listener exactly when the proxy is busiest: with the proxy listener saturated,
/// <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> keep answering. The bound here is generous (the load and this
/// test share two cores); the p99 under 1 s is measured by tests/bench/admin-under-load.sh (wrk at 256 connections).
/// </summary>
public sealed class AdminUnderLoadTests(ITestOutputHelper output) : IDisposable
{
    private const string Host = "shop.example.test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-adminload").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Health_readiness_and_metrics_answer_while_the_proxy_is_saturated()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", async () =>
        {
            // A target that takes its time: requests pile up in the proxy as they do when the target is slow.
            await Task.Delay(20);
            return "ok";
        }));
        await using var bridge = await BridgeProcess.StartOneCutoverAsync(_dir, target, Host);

        // Bounded load: 128 clients, at most 2,000 requests each, for 15 s.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var load = Enumerable.Range(0, 128).Select(_ => Task.Run(async () =>
        {
            using var client = LoopbackClient.Create(bridge.ProxyEndPoint, TimeSpan.FromSeconds(30));
            var n = 0;
            for (var i = 0; i < 2_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri($"http://{Host}/p"), CancellationToken.None);
                    n++;
                }
                catch (HttpRequestException)
                {
                }
            }

            return n;
        }, CancellationToken.None)).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        using var admin = new HttpClient { Timeout = Bound * 2 };
        var slowest = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var asked = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var path in new[] { "/healthz", "/readyz", "/metrics" })
            {
                var clock = Stopwatch.StartNew();
                using var response = await admin.GetAsync(new Uri(bridge.AdminUri, path));
                var took = clock.Elapsed;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                slowest[path] = slowest.TryGetValue(path, out var before) && before > took ? before : took;
                asked++;
            }

            await Task.Delay(100);
        }

        var forwarded = (await Task.WhenAll(load)).Sum();
        output.WriteLine($"{forwarded} requests forwarded meanwhile; {asked} admin requests, slowest: {string.Join(", ", slowest.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))}");
        Assert.True(forwarded > 1_000, $"the proxy was not loaded: {forwarded} requests");
        Assert.All(slowest, s => Assert.True(s.Value < Bound, $"{s.Key} took {s.Value.TotalMilliseconds:F0} ms under load"));
    }
}
