using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// Raw bytes on a real socket, as an attacker would send them: odd Host headers, smuggling attempts, oversized
/// and slow headers. The target records every request it gets, so "answered locally" means it got none.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private readonly ConcurrentQueue<string> _seen = new();
    private TestUpstream _target = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**path}", async (HttpContext c) =>
        {
            using var reader = new StreamReader(c.Request.Body);
            var body = await reader.ReadToEndAsync();
            _seen.Enqueue($"{c.Request.Method} {c.Request.Path} cl={c.Request.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} te={c.Request.Headers.TransferEncoding} body={body}");
            return Results.Text("ok");
        }));
        _bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "http" } } },
            Limits = new { MaxRequestHeadersBytes = 8192, RequestHeadersTimeout = "00:00:02" },
        });
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _target.DisposeAsync();
    }

    private Task<string> RawAsync(string request) => LoopbackClient.RawAsync(_bridge.ProxyEndPoint, request);

    private static string Status(string response) => response.Length >= 12 ? response[9..12] : $"(no response: '{response}')";

    [Theory]
    [InlineData("Host: shop.example.test\r\nHost: evil.test\r\n", "400")]
    [InlineData("Host: evil.test\r\nHost: shop.example.test\r\n", "400")]
    [InlineData("Host: xn--shp-sna.example.test\r\n", "421")]
    [InlineData("Host: shop.example.test.evil.test\r\n", "421")]
    [InlineData("Host: shop.example.test:99999\r\n", "421")]
    [InlineData("Host: shop.example.test:0\r\n", "421")]
    [InlineData("Host: shop.example.test:80:80\r\n", "400")]
    [InlineData("Host: shop.example.test@evil.test\r\n", "400")]
    [InlineData("Host: evil.test\r\nX-Forwarded-Host: shop.example.test\r\n", "421")]
    [InlineData("", "400")]
    public async Task Odd_or_conflicting_host_headers_are_answered_locally(string headers, string status)
    {
        var response = await RawAsync($"GET /x HTTP/1.1\r\n{headers}Connection: close\r\n\r\n");

        Assert.Equal(status, Status(response));
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task Non_ascii_host_bytes_are_rejected()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_bridge.ProxyEndPoint);
        await socket.SendAsync(Encoding.UTF8.GetBytes("GET / HTTP/1.1\r\nHost: shöp.example.test\r\nConnection: close\r\n\r\n"));
        var buffer = new byte[4096];
        var n = await socket.ReceiveAsync(buffer);

        Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task Content_length_with_transfer_encoding_never_reaches_the_target_as_two_requests()
    {
        // The classic CL.TE desync: a front end that trusts Content-Length would pass "GET /smuggled" on as part of
        // the body; one that trusts Transfer-Encoding sees it as a second request. Kestrel follows RFC 9112 (chunked
        // wins, Content-Length dropped), and YARP forwards exactly the body Kestrel parsed.
        var response = await RawAsync(
            $"POST /a HTTP/1.1\r\nHost: {Host}\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nX: y\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var first = Assert.Single(_seen, s => s.StartsWith("POST", StringComparison.Ordinal));
        Assert.Equal("POST /a cl=- te=chunked body=", first);

        // Whatever followed the chunked body is this client's own next request on its own connection: without a
        // Host it is refused, and nothing arrives at the target in the POST's body.
        Assert.DoesNotContain(_seen, s => s.Contains("/smuggled", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked, identity\r\n")]
    [InlineData("Transfer-Encoding: xchunked\r\n")]
    [InlineData("Content-Length: 5\r\nContent-Length: 6\r\n")]
    [InlineData("Content-Length: -1\r\n")]
    [InlineData("Content-Length: 5, 5\r\n")]
    public async Task Ambiguous_body_framing_is_rejected_before_forwarding(string framing)
    {
        var response = await RawAsync($"POST /a HTTP/1.1\r\nHost: {Host}\r\n{framing}Connection: close\r\n\r\nhello");

        Assert.Equal("400", Status(response));
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task Oversized_headers_get_431_and_are_not_forwarded()
    {
        var response = await RawAsync($"GET / HTTP/1.1\r\nHost: {Host}\r\nX-Big: {new string('a', 10_000)}\r\nConnection: close\r\n\r\n");

        Assert.Equal("431", Status(response));
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task A_client_that_sends_its_headers_too_slowly_is_cut_off()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_bridge.ProxyEndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Host}\r\n"));

        // Limits:RequestHeadersTimeout is 2 s here: keep trickling one header a second, never finishing.
        var closedAfter = TimeSpan.Zero;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[4096];
        var reading = socket.ReceiveAsync(buffer, SocketFlags.None);
        for (var i = 0; i < 20 && !reading.IsCompleted; i++)
        {
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes($"X-Slow-{i}: 1\r\n"));
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(reading, Task.Delay(1000));
        }

        Assert.True(reading.IsCompleted, "the slow client was still connected after 20 s");
        closedAfter = watch.Elapsed;
        var n = await reading;
        Assert.True(n == 0 || Encoding.ASCII.GetString(buffer, 0, n).StartsWith("HTTP/1.1 408", StringComparison.Ordinal));
        Assert.True(closedAfter < TimeSpan.FromSeconds(10), $"cut after {closedAfter}");
        Assert.Empty(_seen);
    }

    [Fact]
    public async Task A_well_formed_request_still_goes_through_after_all_that()
    {
        var response = await RawAsync($"GET /fine HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.Equal("GET /fine cl=- te= body=", Assert.Single(_seen));
    }

    [Fact]
    public async Task Connections_beyond_Limits_MaxConnections_are_refused_while_the_others_are_served()
    {
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { _target.Address, _target.Port, Scheme = "http" } } },
            Limits = new { MaxConnections = 2 },
        });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(bridge.ProxyEndPoint);
        await second.ConnectAsync(bridge.ProxyEndPoint);
        using var firstStream = new NetworkStream(first);
        Assert.StartsWith("HTTP/1.1 200", await LoopbackClient.ExchangeAsync(firstStream, $"GET / HTTP/1.1\r\nHost: {Host}\r\n\r\n"), StringComparison.Ordinal);

        // The third is accepted by the kernel and closed by Kestrel at once, without an answer.
        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await third.ConnectAsync(bridge.ProxyEndPoint);
        await third.SendAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Host}\r\n\r\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        try
        {
            n = await third.ReceiveAsync(new byte[256], SocketFlags.None, timeout.Token);
        }
        catch (SocketException)
        {
            n = 0;
        }

        Assert.Equal(0, n);

        // The connections within the limit keep working.
        using var secondStream = new NetworkStream(second);
        Assert.StartsWith("HTTP/1.1 200", await LoopbackClient.ExchangeAsync(secondStream, $"GET / HTTP/1.1\r\nHost: {Host}\r\n\r\n"), StringComparison.Ordinal);
    }
}
