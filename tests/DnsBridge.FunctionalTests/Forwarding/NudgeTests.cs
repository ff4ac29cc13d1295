using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.Forwarding;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// Once propagation is complete, residual clients are told to reconnect (and so re-resolve DNS): HTTP/1.1 gets
/// Connection: close, HTTP/2 a graceful GOAWAY; before that, nothing changes. (The drain detector flips the switch;
/// here it is flipped directly; Drain/NudgeEndToEndTests drives it with real resolvers that flip.)
/// </summary>
public sealed class NudgeTests : IAsyncLifetime
{
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-nudge").FullName;
    private TestUpstream _target = null!;

    public async Task InitializeAsync() =>
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<BridgeHost> StartAsync(bool nudge = true, object? listen = null) => BridgeHost.StartAsync(new
    {
        Listen = listen ?? new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
        Cutovers = new[]
        {
            new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { _target.Address, _target.Port, Scheme = "http" }, Drain = new { Nudge = nudge } },
        },
    });

    private static Task<string> SendAsync(NetworkStream stream) =>
        LoopbackClient.ExchangeAsync(stream, "GET / HTTP/1.1\r\nHost: shop.example.test\r\n\r\n");

    [Fact]
    public async Task A_keep_alive_client_gets_Connection_close_only_once_propagation_is_complete()
    {
        await using var bridge = await StartAsync();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bridge.ProxyEndPoint);
        using var stream = new NetworkStream(socket);

        var first = await SendAsync(stream);
        var second = await SendAsync(stream);
        Assert.DoesNotContain("Connection: close", first, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Connection: close", second, StringComparison.OrdinalIgnoreCase);

        bridge.Services.GetRequiredService<NudgeRegistry>().For("shop").PropagationComplete = true;
        var third = await SendAsync(stream);

        Assert.StartsWith("HTTP/1.1 200", third, StringComparison.Ordinal);
        Assert.Contains("Connection: close", third, StringComparison.OrdinalIgnoreCase);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stream.ReadAsync(new byte[16], timeout.Token));
        Assert.Equal(1, bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "shop"), ("kind", "http1")));
    }

    [Fact]
    public async Task Nudging_can_be_turned_off_per_cutover()
    {
        await using var bridge = await StartAsync(nudge: false);
        bridge.Services.GetRequiredService<NudgeRegistry>().For("shop").PropagationComplete = true;
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bridge.ProxyEndPoint);
        using var stream = new NetworkStream(socket);

        Assert.DoesNotContain("Connection: close", await SendAsync(stream), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Connection: close", await SendAsync(stream), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "shop"), ("kind", "http1")));
    }

    [Fact]
    public async Task An_HTTP2_client_gets_GOAWAY_and_its_next_request_comes_on_a_new_connection()
    {
        var certificate = _ca.Issue(["shop.example.test"]);
        var certFile = Path.Combine(_dir, "shop.pem");
        var keyFile = Path.Combine(_dir, "shop.key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using var bridge = await StartAsync(listen: new
        {
            Proxy = "http://127.0.0.1:0",
            ProxyHttps = "https://127.0.0.1:0",
            Admin = "http://127.0.0.1:0",
            Certificates = new[] { new { CertFile = certFile, KeyFile = keyFile } },
        });
        var endPoint = bridge.Services.GetRequiredService<DnsBridge.Listeners.ListenerEndpoints>().ProxyHttpsEndPoint!;

        var connections = 0;
        var handler = LoopbackClient.Handler(endPoint, () => Interlocked.Increment(ref connections));
        handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c is not null };
        using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        Assert.Equal("ok", await client.GetStringAsync("https://shop.example.test/1"));
        Assert.Equal("ok", await client.GetStringAsync("https://shop.example.test/2"));
        Assert.Equal(1, connections);

        bridge.Services.GetRequiredService<NudgeRegistry>().For("shop").PropagationComplete = true;
        using (var nudged = await client.GetAsync("https://shop.example.test/3"))
        {
            Assert.Equal(HttpStatusCode.OK, nudged.StatusCode);
            Assert.Equal("ok", await nudged.Content.ReadAsStringAsync());
        }

        // The GOAWAY arrives right after the response; the client then opens a new connection by itself.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref connections) < 2 && DateTime.UtcNow < deadline)
        {
            Assert.Equal("ok", await client.GetStringAsync("https://shop.example.test/4"));
        }

        Assert.Equal(2, connections);
        Assert.True(bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "shop"), ("kind", "http2")) >= 1);
    }
}
