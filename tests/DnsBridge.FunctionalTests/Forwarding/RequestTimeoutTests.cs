using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// <c>Target.Timeout</c> is time to first byte and idle limit, so a target that keeps sending lives on;
/// <c>Target.RequestTimeout</c> bounds the whole request: 504 before the response started, an aborted response after.
/// </summary>
public sealed class RequestTimeoutTests
{
    private const int TrickleBytes = 25;

    private static object Cutover(TestUpstream target, string timeout, string? requestTimeout) => new
    {
        Cutovers = new[]
        {
            new
            {
                Name = "shop",
                Hosts = new[] { "shop.example.test" },
                Target = requestTimeout is null
                    ? (object)new { target.Address, target.Port, Scheme = "http", Timeout = timeout }
                    : new { target.Address, target.Port, Scheme = "http", Timeout = timeout, RequestTimeout = requestTimeout },
            },
        },
    };

    /// <summary>One byte every 200 ms for 5 s, each flushed: never idle for long, never done quickly.</summary>
    private static Task<TestUpstream> StartTrickleAsync() => TestUpstream.StartAsync(app => app.Map("/", async (HttpContext c) =>
    {
        c.Response.ContentType = "text/plain";
        for (var i = 0; i < TrickleBytes && !c.RequestAborted.IsCancellationRequested; i++)
        {
            await c.Response.Body.WriteAsync("x"u8.ToArray(), c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted);
            await Task.Delay(200, c.RequestAborted);
        }
    }));

    /// <summary>Accepts the request and never answers (until the test lets it go or the request is cancelled).</summary>
    private static Task<TestUpstream> StartSilentAsync(CancellationToken release) => TestUpstream.StartAsync(app => app.Map("/", async (HttpContext c) =>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(release, c.RequestAborted);
        await Task.Delay(Timeout.Infinite, linked.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }));

    [Fact]
    public async Task A_trickling_target_passes_with_only_Timeout_because_every_byte_resets_it()
    {
        await using var target = await StartTrickleAsync();
        // Timeout 2 s against a byte every 200 ms: a gap ten times the trickle's (a loaded machine can stall a second)
        // and well under the 5 s the whole trickle takes, which is what proves that every byte resets it.
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, "00:00:02", requestTimeout: null));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        var watch = Stopwatch.StartNew();
        var body = await client.GetStringAsync("http://shop.example.test/");

        Assert.Equal(new string('x', TrickleBytes), body);
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(4), $"the trickle takes about 5 s, took {watch.Elapsed}");
        Assert.Equal(0, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_trickling_target_is_cut_at_RequestTimeout_and_the_response_is_aborted_not_passed_off_as_complete()
    {
        await using var target = await StartTrickleAsync();
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, "00:00:01", "00:00:01"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("http://shop.example.test/", HttpCompletionOption.ResponseHeadersRead);

        // The headers came through (the response had started), then the body breaks off: never a clean end.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => response.Content.ReadAsByteArrayAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"cut at about 1 s, took {watch.Elapsed}");
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_silent_target_gets_504_at_RequestTimeout_when_that_comes_first()
    {
        using var release = new CancellationTokenSource();
        await using var target = await StartSilentAsync(release.Token);
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, "00:01:00", "00:00:01"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("http://shop.example.test/");
        await release.CancelAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"504 at about 1 s, not after Timeout (60 s); took {watch.Elapsed}");
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_silent_target_still_gets_504_after_Timeout_when_RequestTimeout_is_longer()
    {
        using var release = new CancellationTokenSource();
        await using var target = await StartSilentAsync(release.Token);
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, "00:00:01", "00:01:00"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync("http://shop.example.test/");
        await release.CancelAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"504 at about 1 s (Timeout), took {watch.Elapsed}");
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_WebSocket_outlives_RequestTimeout()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/ws", async (HttpContext c) =>
        {
            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[256];
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, "00:00:30", "00:00:01"));
        using var invoker = new HttpMessageInvoker(LoopbackClient.Handler(bridge.ProxyEndPoint));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri("ws://shop.example.test/ws"), invoker, CancellationToken.None);

        // Three echoes spread over 2.4 s: well past the 1 s bound, which upgrades are exempt from.
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(800);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.SendAsync(Encoding.UTF8.GetBytes($"m{i}"), WebSocketMessageType.Text, true, timeout.Token);
            var buffer = new byte[256];
            var r = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(buffer, 0, r.Count));
        }

        Assert.Equal(0, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "timeout")));
    }
}
