using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Connections;

/// <summary>
/// Forwarded connections in the drain lifecycle, driven by a real dnsmasq that flips from the source to the target:
/// idle connections are nudged only after propagation, a passthrough cutover drains to <c>drained</c> with one
/// <c>drain_complete</c>, and SIGTERM lets open connections finish before closing them.
/// </summary>
public sealed class ConnectionDrainTests : IDisposable
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    private static object Section(Dnsmasq dns, string targetAddress, int targetPort, IPEndPoint? portForward, object drain) => new
    {
        Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", Passthrough = "127.0.0.1:0" },
        Cutovers = new object[]
        {
            new
            {
                Name = "shop", Hosts = new[] { Host }, SourceAddresses = new[] { Source },
                Target = new { Address = targetAddress, Port = targetPort, Scheme = "tls" },
                Ports = portForward is null ? Array.Empty<object>() : [new { Listen = portForward.ToString(), Target = targetPort }],
                Drain = drain,
            },
        },
        Resolvers = new
        {
            Preset = "none",
            AuthoritativeServers = new[] { dns.Address },
            Custom = new[] { new { Name = "loopback", dns.Address, Region = "loopback" } },
        },
        Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
    };

    private static async Task<JsonElement> CutoverAsync(BridgeHost bridge)
    {
        using var admin = bridge.CreateAdminClient();
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.Clone();
    }

    private static async Task WaitForStateAsync(BridgeHost bridge, string state, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement cutover;
        while ((cutover = await CutoverAsync(bridge)).GetProperty("drain").GetProperty("state").GetString() != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not {state} within {within}; the API said {cutover.GetProperty("drain").GetRawText()}, propagation {cutover.GetProperty("propagation").GetRawText()}");
            await Task.Delay(200);
        }
    }

    /// <summary>The sweep closes the connection before it counts the nudge, so the client can see the FIN first.</summary>
    private static async Task<double> WaitForNudgesAsync(BridgeHost bridge, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        double nudged;
        while ((nudged = bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "shop"), ("kind", "tcp"))) < 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return nudged;
    }

    private static async Task<int> ReadOrResetAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return 0;
        }
    }

    [Fact]
    public async Task An_idle_forwarded_connection_is_closed_after_IdleNudge_only_once_propagation_is_complete()
    {
        await using var target = TcpTestServer.Start(async socket =>
        {
            var buffer = new byte[1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n));
            }
        });
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 1);
        var listen = TcpTestServer.FreeEndPoint();
        await using var bridge = await BridgeHost.StartAsync(Section(dns, target.Address, target.Port, listen, new { IdleNudge = "00:00:02", QuietPeriod = "01:00:00" }));

        using var before = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await before.ConnectAsync(listen);
        await before.SendAsync("x"u8.ToArray());
        Assert.Equal(1, await before.ReceiveAsync(new byte[1], SocketFlags.None));

        // Idle well past IdleNudge while resolvers still answer the source: left alone.
        await Task.Delay(TimeSpan.FromSeconds(4));
        await before.SendAsync("y"u8.ToArray());
        Assert.Equal(1, await before.ReceiveAsync(new byte[1], SocketFlags.None));
        Assert.Equal(0, bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "shop"), ("kind", "tcp")));

        // The idle clock of this test starts only once the API says propagation is complete (draining).
        await dns.SetAsync(Host, target.Address);
        await WaitForStateAsync(bridge, "draining", TimeSpan.FromSeconds(60));

        // Now the idle connection is closed with a FIN within IdleNudge plus the once-a-second sweep.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Assert.Equal(0, await ReadOrResetAsync(before, timeout.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"nudged after {watch.Elapsed}");

        // The FIN can reach this test before the sweep has counted it: wait (bounded) for the count, then exactly one.
        var nudged = await WaitForNudgesAsync(bridge, TimeSpan.FromSeconds(10));
        var cutover = await CutoverAsync(bridge);
        Assert.True(nudged == 1, $"dnsbridge_nudged_connections_total{{kind=tcp}} is {nudged}, not 1; the API says nudge {cutover.GetProperty("nudge").GetRawText()}");
        Assert.Equal(1, cutover.GetProperty("nudge").GetProperty("connections").GetProperty("tcp").GetInt64());
    }

    [Fact]
    public async Task A_passthrough_cutover_drains_to_drained_with_exactly_one_drain_complete()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"), _ca.Issue([Host]));
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 1);
        await using var bridge = await BridgeHost.StartAsync(Section(dns, target.Address, target.Port, null, new { QuietPeriod = "00:00:03" }));

        // Residual connections while the resolvers still answer the source.
        var handler = LoopbackClient.Handler(bridge.PassthroughEndPoint!);
        handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, e) => c is not null && (e & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 };
        handler.PooledConnectionLifetime = TimeSpan.Zero;
        using (var client = new HttpClient(handler))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal("ok", await client.GetStringAsync($"https://{Host}/{i}"));
            }
        }

        Assert.Equal(3, bridge.Metric("dnsbridge_residual_connections_total", ("cutover", "shop")));
        await dns.SetAsync(Host, target.Address);
        await WaitForStateAsync(bridge, "drained", TimeSpan.FromSeconds(60));

        // Stays drained, and the event was raised once.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var cutover = await CutoverAsync(bridge);
        Assert.Equal("drained", cutover.GetProperty("drain").GetProperty("state").GetString());
        Assert.Equal(1, cutover.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("event").GetString() == "drain_complete"));
        var residual = cutover.GetProperty("residual");
        Assert.Equal(3, residual.GetProperty("connections").GetInt64());
        Assert.Equal(0, residual.GetProperty("requests").GetInt64());
        var top = Assert.Single(residual.GetProperty("topClientsByConnections").EnumerateArray());
        Assert.Equal("127.0.0.1", top.GetProperty("client").GetString());
        Assert.Equal(3, top.GetProperty("connections").GetInt64());
        using var admin = bridge.CreateAdminClient();
        Assert.Contains("0 residual request(s), 3 residual connection(s)", await admin.GetStringAsync("/api/cutovers/shop/report"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stops_accepting_lets_open_connections_run_until_the_shutdown_timeout_then_closes_them()
    {
        await using var target = TcpTestServer.Start(async socket =>
        {
            var buffer = new byte[1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n));
            }
        });
        var dir = Directory.CreateTempSubdirectory("dnsbridge-conn-shutdown").FullName;
        try
        {
            int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
            var listen = TcpTestServer.FreeEndPoint();
            var config = Path.Combine(dir, "dnsbridge.json");
            await File.WriteAllTextAsync(config, BridgeHost.Render(new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Limits = new { ShutdownTimeout = "00:00:03" },
                Cutovers = new[]
                {
                    new { Name = "db", Hosts = new[] { "db.example.test" }, Target = new { target.Address, Scheme = "tcp" }, Ports = new[] { new { Listen = listen.ToString(), Target = target.Port } } },
                },
            }, dir));
            await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
            using var open = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await open.ConnectAsync(listen);
            Assert.Equal("before", await EchoAsync(open, "before"));

            var watch = System.Diagnostics.Stopwatch.StartNew();
            var exit = bridge.TerminateAsync(TimeSpan.FromSeconds(30));

            // New connections are refused at once...
            var deadline = DateTime.UtcNow.AddSeconds(2);
            var refused = false;
            while (!refused && DateTime.UtcNow < deadline)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await probe.ConnectAsync(listen);
                    await Task.Delay(50);
                }
                catch (SocketException)
                {
                    refused = true;
                }
            }

            Assert.True(refused, "the port forward still accepted connections after SIGTERM");

            // ...while the open one still relays, until Limits:ShutdownTimeout (3 s) runs out.
            Assert.Equal("during", await EchoAsync(open, "during"));
            Assert.Equal(0, await exit);
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(20));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            Assert.Equal(0, await ReadOrResetAsync(open, timeout.Token));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<string> EchoAsync(Socket socket, string text)
    {
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(text));
        var buffer = new byte[64];
        var got = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (got < text.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            got += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer, 0, got);
    }
}
