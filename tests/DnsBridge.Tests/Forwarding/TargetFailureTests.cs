using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsBridge.Tests.Infrastructure;

namespace DnsBridge.Tests.Forwarding;

/// <summary>What clients see when the target fails: 502 at once when it refuses, 504 when it does not answer in time.</summary>
public sealed class TargetFailureTests
{
    private static object Cutover(string address, int port, string timeout) => new
    {
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = address, Port = port, Scheme = "http", Timeout = timeout } } },
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_target_that_refuses_connections_answers_502_at_once()
    {
        await using var bridge = await BridgeHost.StartAsync(Cutover("127.0.0.1", FreePort(), "00:01:00"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("http://shop.example.test/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "502 must not wait for the request timeout");
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "connect_refused")));
    }

    [Fact]
    public async Task A_target_that_accepts_but_never_answers_times_out_with_504()
    {
        using var release = new CancellationTokenSource();
        await using var target = await TestUpstream.StartAsync(app => app.Map("/", async (HttpContext c) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(release.Token, c.RequestAborted);
            await Task.Delay(Timeout.Infinite, linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target.Address, target.Port, "00:00:01"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        using var response = await client.GetAsync("http://shop.example.test/");
        await release.CancelAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task Forwarding_recovers_when_the_target_comes_back()
    {
        var port = FreePort();
        await using var bridge = await BridgeHost.StartAsync(Cutover("127.0.0.1", port, "00:00:10"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        using (var down = await client.GetAsync("http://shop.example.test/"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        }

        await using var target = await TestUpstream.StartAsync(app => app.Map("/", () => "back"), port: port);
        using var up = await client.GetAsync("http://shop.example.test/");
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal("back", await up.Content.ReadAsStringAsync());
    }
}
