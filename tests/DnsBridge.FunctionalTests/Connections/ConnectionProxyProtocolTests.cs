using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using DnsBridge.Connections;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.UnitTests.Connections;

namespace DnsBridge.FunctionalTests.Connections;

/// <summary>
/// <c>Listen:AcceptProxyProtocol</c> on the connection listeners (passthrough and port forwards), as behind an NLB
/// that sends PROXY: a trusted peer's header makes its source the client for the residual top clients, the
/// exclusions and the PROXY header DnsBridge sends on to the target; a header from an untrusted peer on passthrough,
/// or a malformed one, closes the connection before anything reaches the target.
/// </summary>
public sealed class ConnectionProxyProtocolTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private const string Excluded = "203.0.113.0/24";
    private readonly Channel<byte[]> _arrivals = Channel.CreateUnbounded<byte[]>();
    private TcpTestServer _target = null!;
    private IPEndPoint _portForward = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        // Records everything each connection sends until its end of stream.
        _target = TcpTestServer.Start(async socket => await _arrivals.Writer.WriteAsync(await TcpTestServer.ReadToEndAsync(socket)));
        _portForward = TcpTestServer.FreeEndPoint();
        _bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", Passthrough = "127.0.0.1:0", AcceptProxyProtocol = true },
            Limits = new { RequestHeadersTimeout = "00:00:05" },
            TrustedProxies = new[] { "127.0.0.1/32" },
            Cutovers = new object[]
            {
                new
                {
                    Name = "tls", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "tls", ProxyProtocol = "v2" },
                    Drain = new { Exclude = new { ClientCidrs = new[] { Excluded } } },
                },
                new
                {
                    Name = "db", Hosts = new[] { "db.example.test" }, Target = new { _target.Address, Scheme = "tcp", ProxyProtocol = "v1" },
                    Ports = new[] { new { Listen = _portForward.ToString(), Target = _target.Port } },
                    Drain = new { Exclude = new { ClientCidrs = new[] { Excluded } } },
                },
            },
        });
    }

    /// <summary>The bytes of the next connection the target received.</summary>
    private async Task<byte[]> NextArrivalAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _arrivals.Reader.ReadAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    private (IPEndPoint Listener, byte[] Payload, string Cutover) Via(string listener) => listener == "passthrough"
        ? (_bridge.PassthroughEndPoint!, ClientHelloBuilder.Real(Host), "tls")
        : (_portForward, "SELECT 1;"u8.ToArray(), "db");

    /// <summary>Connects from <paramref name="from"/>, sends the bytes and its end of stream; returns what came back (empty on a close or reset).</summary>
    private static async Task<byte[]> SendAsync(IPEndPoint listener, string from, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        await socket.ConnectAsync(listener);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.SendAsync(bytes);
            socket.Shutdown(SocketShutdown.Send);
            return await TcpTestServer.ReadToEndAsync(socket, cancellationToken: timeout.Token);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            return [];
        }
    }

    private static byte[] Header(string version, string client) =>
        ProxyProtocol.Encode(version, IPEndPoint.Parse(client), IPEndPoint.Parse("10.0.0.10:443"));

    private async Task<JsonElement> ResidualAsync(string cutover)
    {
        using var admin = _bridge.CreateAdminClient();
        using var doc = JsonDocument.Parse(await admin.GetStringAsync($"/api/cutovers/{cutover}"));
        return doc.RootElement.GetProperty("residual").Clone();
    }

    [Theory]
    [InlineData("passthrough", "v1")]
    [InlineData("passthrough", "v2")]
    [InlineData("port", "v1")]
    [InlineData("port", "v2")]
    public async Task A_trusted_peers_header_makes_its_source_the_client_in_top_clients_and_in_the_header_to_the_target(string listener, string version)
    {
        var (endPoint, payload, cutover) = Via(listener);

        await SendAsync(endPoint, "127.0.0.1", [.. Header(version, "198.51.100.7:40000"), .. payload]);
        var arrived = await NextArrivalAsync();

        // The target is told the client from the inbound header (in its own configured version), then the client's bytes.
        Assert.Equal(ProxyHeaderStatus.Parsed, ProxyProtocol.Parse(arrived, out var header, out var consumed));
        Assert.Equal(IPEndPoint.Parse("198.51.100.7:40000"), header!.Source);
        Assert.Equal(payload, arrived[consumed..]);
        var residual = await ResidualAsync(cutover);
        Assert.Equal(1, residual.GetProperty("connections").GetInt64());
        var top = Assert.Single(residual.GetProperty("topClientsByConnections").EnumerateArray());
        Assert.Equal("198.51.100.7", top.GetProperty("client").GetString());
    }

    [Theory]
    [InlineData("passthrough")]
    [InlineData("port")]
    public async Task The_client_from_the_header_is_what_the_exclusions_see(string listener)
    {
        var (endPoint, payload, cutover) = Via(listener);

        await SendAsync(endPoint, "127.0.0.1", [.. Header("v2", "203.0.113.9:1234"), .. payload]);
        await NextArrivalAsync();

        // Relayed (an excluded client is still served) but not residual.
        Assert.Equal(0, _bridge.Metric("dnsbridge_residual_connections_total", ("cutover", cutover)));
        Assert.Equal(1, _bridge.Metric("dnsbridge_excluded_requests_total", ("cutover", cutover), ("reason", "client")));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task A_header_from_an_untrusted_peer_on_passthrough_is_closed_counted_and_never_reaches_the_target(string version)
    {
        Assert.Empty(await SendAsync(_bridge.PassthroughEndPoint!, "127.0.0.2", [.. Header(version, "198.51.100.7:40000"), .. ClientHelloBuilder.Real(Host)]));

        Assert.Equal(1, _bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "proxy_protocol")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_residual_connections_total", ("cutover", "tls")));
        Assert.Equal(0, _target.Accepted);

        // Without a header the same peer is served as itself.
        await SendAsync(_bridge.PassthroughEndPoint!, "127.0.0.2", ClientHelloBuilder.Real(Host));
        Assert.Equal(ProxyHeaderStatus.Parsed, ProxyProtocol.Parse(await NextArrivalAsync(), out var header, out _));
        Assert.Equal(IPAddress.Parse("127.0.0.2"), header!.Source!.Address);
    }

    [Fact]
    public async Task An_untrusted_peers_header_on_a_port_forward_is_only_data_behind_the_real_clients_header()
    {
        // A port forward does not wait for an untrusted client to speak (the target may speak first: SMTP, MySQL), so
        // what it sends is relayed as data, after DnsBridge's own header naming the real peer: nobody is spoofed.
        var spoof = Header("v1", "198.51.100.7:40000");

        await SendAsync(_portForward, "127.0.0.2", [.. spoof, .. "SELECT 1;"u8.ToArray()]);
        var arrived = await NextArrivalAsync();

        Assert.Equal(ProxyHeaderStatus.Parsed, ProxyProtocol.Parse(arrived, out var header, out var consumed));
        Assert.Equal(IPAddress.Parse("127.0.0.2"), header!.Source!.Address);
        Assert.Equal([.. spoof, .. "SELECT 1;"u8.ToArray()], arrived[consumed..]);
        var top = Assert.Single((await ResidualAsync("db")).GetProperty("topClientsByConnections").EnumerateArray());
        Assert.Equal("127.0.0.2", top.GetProperty("client").GetString());
    }

    [Theory]
    [InlineData("passthrough")]
    [InlineData("port")]
    public async Task A_trusted_peer_with_a_malformed_header_or_none_is_closed_counted_and_never_reaches_the_target(string listener)
    {
        var (endPoint, payload, cutover) = Via(listener);

        Assert.Empty(await SendAsync(endPoint, "127.0.0.1", [.. Encoding.ASCII.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"), .. payload]));
        Assert.Empty(await SendAsync(endPoint, "127.0.0.1", payload));

        Assert.Equal(2, _bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "proxy_protocol")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_residual_connections_total", ("cutover", cutover)));
        Assert.Equal(0, _target.Accepted);
    }
}
