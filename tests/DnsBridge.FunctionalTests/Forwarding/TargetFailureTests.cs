using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>What clients see when the target fails: 502 at once when it refuses, 504 when it does not answer in time.</summary>
public sealed class TargetFailureTests
{
    private static object Cutover(string address, int port, string timeout) => new
    {
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = address, Port = port, Scheme = "http", Timeout = timeout } } },
    };

    private static int FreePort() => Ports.Free();

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

    [Fact]
    public async Task A_target_that_resets_mid_response_aborts_that_response_and_the_other_cutovers_keep_serving()
    {
        // A raw TCP target: status line, headers promising 1 MiB, 10 bytes, then a reset.
        using var raw = new TcpListener(IPAddress.Loopback, 0);
        raw.Start();
        var rawPort = ((IPEndPoint)raw.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await raw.AcceptSocketAsync();
                var buffer = new byte[4096];
                await socket.ReceiveAsync(buffer);
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n0123456789"u8.ToArray());
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
        });
        await using var healthy = await TestUpstream.StartAsync(app => app.Map("/", () => "fine"));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new object[]
            {
                new { Name = "broken", Hosts = new[] { "broken.example.test" }, Target = new { Address = "127.0.0.1", Port = rawPort, Scheme = "http" } },
                new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { healthy.Address, healthy.Port, Scheme = "http" } },
            },
        });
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        for (var i = 0; i < 3; i++)
        {
            // The client gets the 200 and part of the body, then an aborted stream: never a truncated body passed off as whole.
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetByteArrayAsync("http://broken.example.test/"));
            Assert.Equal("fine", await client.GetStringAsync("http://shop.example.test/"));
        }

        Assert.Equal(3, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "broken"), ("reason", "reset"))
            + bridge.Metric("dnsbridge_target_errors_total", ("cutover", "broken"), ("reason", "protocol")));
        Assert.Equal(0, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "reset")));
        raw.Stop();
    }

    [Fact]
    public async Task A_target_answering_with_huge_headers_gets_a_502_not_a_crash()
    {
        var huge = true;
        await using var target = await TestUpstream.StartAsync(app => app.Map("/", (HttpContext c) =>
        {
            for (var i = 0; Volatile.Read(ref huge) && i < 40; i++)
            {
                c.Response.Headers[$"X-Huge-{i}"] = new string('h', 4000);
            }

            return "body";
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target.Address, target.Port, "00:00:10"));
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        using var response = await client.GetAsync("http://shop.example.test/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "protocol")));

        // And the forwarder is fine afterwards: once the target answers sanely, so does the cutover.
        Volatile.Write(ref huge, false);
        using var again = await client.GetAsync("http://shop.example.test/");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("body", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Clients_that_give_up_on_a_slow_target_cancel_the_forwarded_request_and_are_not_target_errors()
    {
        var aborted = 0;
        var started = 0;
        await using var target = await TestUpstream.StartAsync(app => app.Map("/", async (HttpContext c) =>
        {
            Interlocked.Increment(ref started);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(20), c.RequestAborted);
                return "late";
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref aborted);
                throw;
            }
        }));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target.Address, target.Port, "00:01:00"));

        // Ten clients each wait 300 ms, then hang up, as impatient browsers do.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var client = LoopbackClient.Create(bridge.ProxyEndPoint, TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("http://shop.example.test/"));
        }));

        // Each hang-up reaches the target as a cancelled request (no work left running there)...
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref aborted) < 10 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(10, Volatile.Read(ref started));
        Assert.Equal(10, Volatile.Read(ref aborted));

        // ...and none is blamed on the target.
        foreach (var reason in new[] { "timeout", "reset", "protocol", "connect_refused", "connect_timeout", "tls" })
        {
            Assert.Equal(0, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", reason)));
        }
    }

    [Fact]
    public async Task A_failing_target_raises_target_unhealthy_once_and_delivers_it()
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            received.Enqueue(await reader.ReadToEndAsync());
            return Results.Ok();
        }));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", Port = FreePort(), Scheme = "http" } } },
            Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{receiver.Port}/hook" } } },
        });
        var monitor = bridge.Services.GetRequiredService<DnsBridge.Forwarding.TargetHealthMonitor>();
        monitor.Tick();
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);

        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("http://shop.example.test/");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        monitor.Tick();
        monitor.Tick();

        using var admin = bridge.CreateAdminClient();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (received.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var alert = Assert.Single(received);
        using var body = System.Text.Json.JsonDocument.Parse(alert);
        Assert.Equal("target_unhealthy", body.RootElement.GetProperty("event").GetString());
        Assert.Contains("6 of 6 forwarded requests failed", body.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);

        // Once is once while the target keeps failing: its delivery recorded, more failures and more health ticks,
        // then the dispatcher driven through passes of its own: a second event or a resend would be seen here.
        while (bridge.Metric("dnsbridge_alerts_sent_total", ("event", "target_unhealthy"), ("outcome", "delivered")) < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 6; i++)
            {
                using var response = await client.GetAsync("http://shop.example.test/");
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            }

            monitor.Tick();
        }

        var dispatcher = bridge.Services.GetRequiredService<DnsBridge.Alerts.OutboxDispatcher>();
        for (var pass = 0; pass < 3; pass++)
        {
            await dispatcher.DeliverDueAsync(CancellationToken.None);
        }

        Assert.Single(received);
        Assert.Equal(1, bridge.Metric("dnsbridge_alerts_sent_total", ("event", "target_unhealthy"), ("outcome", "delivered")));
        var events = await admin.GetStringAsync("/api/cutovers/shop");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(events, "\"event\":\"target_unhealthy\""));
    }
}
