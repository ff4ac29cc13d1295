using System.Net;
using System.Net.WebSockets;
using System.Text;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// https targets reached by IP while TLS speaks the real name: the certificate of the target is made by a test CA and
/// is valid only for the host name, so a 200 proves SNI and validation used the name, never the IP.
/// </summary>
public sealed class TlsForwardingTests : IDisposable
{
    private const string Host = "shop.example.test";
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> WebSocketProtocols = new();
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-tls").FullName;

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static Task<TestUpstream> StartTargetAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        TestUpstream.StartAsync(app =>
        {
            app.Map("/ws", async (HttpContext c) =>
            {
                WebSocketProtocols.Enqueue(c.Request.Protocol);
                using var socket = await c.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
                }
            });
            app.Map("/{**path}", (HttpContext c) =>
                $"host={c.Request.Host.Value} protocol={c.Request.Protocol}");
        }, certificate);

    private static object Cutover(TestUpstream target, object extraTarget) => new
    {
        Cutovers = new[]
        {
            new { Name = "shop", Hosts = new[] { Host }, Target = Merge(new { target.Address, target.Port, Scheme = "https", Timeout = "00:00:10" }, extraTarget) },
        },
    };

    private static System.Text.Json.Nodes.JsonObject Merge(object a, object b)
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(a)!.AsObject();
        foreach (var (key, value) in System.Text.Json.JsonSerializer.SerializeToNode(b)!.AsObject())
        {
            node[key] = value?.DeepClone();
        }

        return node;
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(BridgeHost bridge, string url = $"http://{Host}/x")
    {
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
        using var response = await client.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Validates_the_target_certificate_for_the_host_name_with_a_private_CA_and_sends_the_name_as_SNI()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { CaFile = _ca.WriteCaPem(_dir) }));

        var (status, body) = await GetAsync(bridge);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"host={Host} protocol=HTTP/2", body);
        Assert.Equal([Host], target.ServerNames);
    }

    [Fact]
    public async Task A_certificate_for_another_name_fails_with_502_and_a_tls_error()
    {
        await using var target = await StartTargetAsync(_ca.Issue(["other.example.test", "127.0.0.1"]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { CaFile = _ca.WriteCaPem(_dir) }));

        var (status, _) = await GetAsync(bridge);

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "tls")));
        Assert.Equal(1, bridge.Metric("dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "5xx")));
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_CA_fails_with_502()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { }));

        var (status, _) = await GetAsync(bridge);

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal(1, bridge.Metric("dnsbridge_target_errors_total", ("cutover", "shop"), ("reason", "tls")));
    }

    [Fact]
    public async Task AllowInvalidCertificate_forwards_anyway_and_warns_at_start()
    {
        await using var target = await StartTargetAsync(_ca.Issue(["other.example.test"]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { AllowInvalidCertificate = true }));

        var (status, _) = await GetAsync(bridge);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(bridge.Logs.Events, e => e.Level == Serilog.Events.LogEventLevel.Warning
            && e.MessageTemplate.Text.Contains("AllowInvalidCertificate", StringComparison.Ordinal));
        Assert.Equal(1, bridge.Metric("dnsbridge_target_certificate_unvalidated", ("cutover", "shop")));
    }

    [Fact]
    public async Task ServerName_sets_SNI_and_the_certificate_name_while_the_Host_header_stays_the_request_host()
    {
        await using var target = await StartTargetAsync(_ca.Issue(["origin.example.test"]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { ServerName = "origin.example.test", CaFile = _ca.WriteCaPem(_dir) }));

        var (status, body) = await GetAsync(bridge);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"host={Host} protocol=HTTP/1.1", body);
        Assert.Equal(["origin.example.test"], target.ServerNames);
    }

    [Fact]
    public async Task WebSockets_reach_an_https_target_as_HTTP_1_1_upgrades_and_echo()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await BridgeHost.StartAsync(Cutover(target, new { CaFile = _ca.WriteCaPem(_dir) }));

        using var socket = new ClientWebSocket();
        using var invoker = new HttpMessageInvoker(LoopbackClient.Handler(bridge.ProxyEndPoint));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"ws://{Host}/ws"), invoker, timeout.Token);

        var received = new byte[64];
        foreach (var text in new[] { "hello", "through the bridge" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
            var r = await socket.ReceiveAsync(received, timeout.Token);
            Assert.Equal(text, Encoding.UTF8.GetString(received, 0, r.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(1, bridge.Metric("dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "1xx")));
        Assert.Contains("HTTP/1.1", WebSocketProtocols);
    }
}
