using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DnsBridge.Connections;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Connections;

/// <summary>
/// <c>Listen:AcceptProxyProtocol</c> on the HTTP proxy listener, as behind an NLB or HAProxy that sends PROXY: from a
/// trusted peer the header's source is the client (X-Forwarded-For, exclusions, residual clients follow it); a
/// header from anyone else, or none from a trusted peer, closes the connection.
/// </summary>
public sealed class AcceptProxyProtocolTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) => $"xff={c.Request.Headers["X-Forwarded-For"]}"));
        _bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AcceptProxyProtocol = true },
            TrustedProxies = new[] { "127.0.0.1/32" },
            Cutovers = new[]
            {
                new
                {
                    Name = "shop", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "http" },
                    Drain = new { Exclude = new { ClientCidrs = new[] { "203.0.113.0/24" } } },
                },
            },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    private async Task<string> SendAsync(string from, byte[] header)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await socket.ConnectAsync(_bridge.ProxyEndPoint);
        byte[] request = [.. header, .. Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n")];
        await socket.SendAsync(request);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return Encoding.ASCII.GetString(await TcpTestServer.ReadToEndAsync(socket, cancellationToken: timeout.Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "";
        }
    }

    private static byte[] Header(string version, string client) =>
        ProxyProtocol.Encode(version, IPEndPoint.Parse(client), IPEndPoint.Parse("127.0.0.1:8080"));

    [Theory]
    [InlineData("v1", "198.51.100.7:40000", "198.51.100.7")]
    [InlineData("v2", "198.51.100.7:40000", "198.51.100.7")]
    [InlineData("v2", "[2001:db8::7]:40000", "2001:db8::7")]
    public async Task A_trusted_peers_header_makes_its_source_the_client(string version, string client, string forwardedFor)
    {
        var response = await SendAsync("127.0.0.1", Header(version, client));

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Contains($"xff={forwardedFor}", response, StringComparison.Ordinal);
        Assert.Equal(1, _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
    }

    [Fact]
    public async Task The_client_from_the_header_is_what_the_exclusions_see()
    {
        Assert.StartsWith("HTTP/1.1 200", await SendAsync("127.0.0.1", Header("v2", "203.0.113.9:1234")), StringComparison.Ordinal);

        Assert.Equal(0, _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
        Assert.Equal(1, _bridge.Metric("dnsbridge_excluded_requests_total", ("cutover", "shop"), ("reason", "client")));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task A_header_from_a_peer_that_is_not_trusted_closes_the_connection(string version)
    {
        Assert.Equal("", await SendAsync("127.0.0.2", Header(version, "198.51.100.7:40000")));
        Assert.Equal(1, _bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "proxy_protocol")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
    }

    [Fact]
    public async Task A_trusted_peer_without_a_header_or_with_a_malformed_one_is_closed_and_others_need_none()
    {
        Assert.Equal("", await SendAsync("127.0.0.1", []));
        Assert.Equal("", await SendAsync("127.0.0.1", Encoding.ASCII.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n")));
        Assert.Equal(2, _bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "proxy_protocol")));

        // A client that reaches the listener directly (not through the trusted LB) is served as before.
        Assert.Contains("xff=127.0.0.2", await SendAsync("127.0.0.2", []), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_the_HTTPS_listener_a_trusted_peers_header_comes_before_TLS_and_names_the_client()
    {
        using var ca = new TestCertificates();
        var certificate = ca.Issue([Host]);
        var cert = Path.Combine(_bridge.Directory, "shop.pem");
        var key = Path.Combine(_bridge.Directory, "shop.key");
        await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Listen = new
            {
                Proxy = "http://127.0.0.1:0",
                ProxyHttps = "https://127.0.0.1:0",
                Admin = "http://127.0.0.1:0",
                AcceptProxyProtocol = true,
                Certificates = new[] { new { CertFile = cert, KeyFile = key } },
            },
            TrustedProxies = new[] { "127.0.0.1/32" },
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "http" } } },
        });
        var endPoint = bridge.Services.GetRequiredService<DnsBridge.Listeners.ListenerEndpoints>().ProxyHttpsEndPoint!;

        async Task<string> HttpsAsync(string from, byte[] header)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            await socket.ConnectAsync(endPoint);
            await socket.SendAsync(header);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var ssl = new SslStream(new NetworkStream(socket));
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Host, RemoteCertificateValidationCallback = (_, c, _, _) => c is X509Certificate2 presented && presented.Thumbprint == certificate.Thumbprint }, timeout.Token);
                await ssl.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n"), timeout.Token);
                using var response = new MemoryStream();
                await ssl.CopyToAsync(response, timeout.Token);
                return Encoding.ASCII.GetString(response.ToArray());
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                return "";
            }
        }

        var served = await HttpsAsync("127.0.0.1", Header("v2", "198.51.100.7:40000"));
        Assert.StartsWith("HTTP/1.1 200", served, StringComparison.Ordinal);
        Assert.Contains("xff=198.51.100.7", served, StringComparison.Ordinal);

        Assert.Equal("", await HttpsAsync("127.0.0.2", Header("v1", "198.51.100.7:40000")));
        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "proxy_protocol")));
        Assert.Equal(1, bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
    }
}
