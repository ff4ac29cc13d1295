using System.Globalization;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Hosting;

/// <summary>
/// stdout stops draining (a stuck log shipper: here a pipe nobody reads) under residual traffic: forwarding and the
/// residual counts go on untouched, the access log drops what its buffer cannot hold, and the drops are counted.
/// </summary>
public sealed class LogBufferTests : IDisposable
{
    private const int Requests = 3000;
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-logbuffer").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_stuck_stdout_drops_log_events_and_counts_them_while_every_request_is_forwarded_and_counted()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Propagation = new { Enabled = false },
                State = new { Path = Path.Combine(_dir, "state.db") },
                Logging = new { AccessLog = true, BufferEvents = 100 },
            },
        }));

        await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort, readOutput: false);
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
        var ok = 0;
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            if (await client.GetStringAsync(new Uri($"http://shop.example.test/{i}"), ct) == "ok")
            {
                Interlocked.Increment(ref ok);
            }
        });
        Assert.Equal(Requests, ok);

        using var admin = new HttpClient { BaseAddress = bridge.AdminUri };
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Equal(Requests, Value(metrics, "dnsbridge_residual_requests_total{cutover=\"shop\"}"));

        // About 64 KiB fit in the pipe and 100 in the buffer; the rest of 3000 access-log lines cannot.
        Assert.True(Value(metrics, "dnsbridge_log_events_dropped_total") > Requests / 2, metrics);
    }

    private static double Value(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], CultureInfo.InvariantCulture)).Single();
}
