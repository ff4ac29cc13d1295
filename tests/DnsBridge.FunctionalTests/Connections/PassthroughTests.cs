using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.UnitTests.Connections;

namespace DnsBridge.FunctionalTests.Connections;

/// <summary>
/// <c>Listen:Passthrough</c> with real TLS: the target holds the only certificate and key (valid for the host name
/// only, from a private CA the client trusts), DnsBridge reads the ClientHello's SNI and relays bytes, and the
/// client's own certificate validation succeeds through it. What is not a routable ClientHello is closed and counted.
/// </summary>
public sealed class PassthroughTests : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    private static Task<BridgeHost> StartAsync(string address, int port, object? limits = null) => BridgeHost.StartAsync(new
    {
        Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", Passthrough = "127.0.0.1:0" },
        Limits = limits ?? new { RequestHeadersTimeout = "00:00:15" },
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = address, Port = port, Scheme = "tls" } } },
    });

    /// <summary>Validates the chain against the test CA only, and the name: what a real client does with a public CA.</summary>
    private bool Validate(X509Certificate? certificate, SslPolicyErrors errors) => _ca.Validates(certificate, errors);

    private HttpClient Client(IPEndPoint passthrough, Func<Stream, Stream>? wrap = null)
    {
        var handler = LoopbackClient.Handler(passthrough);
        if (wrap is not null)
        {
            var connect = handler.ConnectCallback!;
            handler.ConnectCallback = async (context, ct) => wrap(await connect(context, ct));
        }

        handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, e) => Validate(c, e) };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    private static Task<TestUpstream> StartTargetAsync(X509Certificate2 certificate) =>
        TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) => $"target says hello over {c.Request.Protocol} to {c.Request.Host}"), certificate);

    [Fact]
    public async Task The_client_validates_the_targets_own_certificate_through_DnsBridge_which_holds_no_key()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await StartAsync(target.Address, target.Port);
        using var client = Client(bridge.PassthroughEndPoint!);

        Assert.Equal($"target says hello over HTTP/1.1 to {Host}", await client.GetStringAsync($"https://{Host}/x"));

        // HTTP/2 by ALPN goes through untouched too: ALPN is the target's business.
        using var h2 = new HttpRequestMessage(HttpMethod.Get, $"https://{Host}/y") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var client2 = Client(bridge.PassthroughEndPoint!);
        using var response = await client2.SendAsync(h2);
        Assert.Equal($"target says hello over HTTP/2 to {Host}", await response.Content.ReadAsStringAsync());

        Assert.All(target.ServerNames, n => Assert.Equal(Host, n));
        Assert.Equal(2, bridge.Metric("dnsbridge_residual_connections_total", ("cutover", "shop")));
        Assert.True(bridge.Metric("dnsbridge_forwarded_bytes_total", ("cutover", "shop"), ("direction", "to_target")) > 500);
        Assert.True(bridge.Metric("dnsbridge_forwarded_bytes_total", ("cutover", "shop"), ("direction", "to_client")) > 500);
        Assert.Equal(0, bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
    }

    [Fact]
    public async Task Unknown_SNI_no_SNI_and_plain_text_are_closed_counted_and_never_reach_the_target()
    {
        await using var targetServer = TcpTestServer.Start(_ => Task.CompletedTask);
        await using var bridge = await StartAsync(targetServer.Address, targetServer.Port);
        var passthrough = bridge.PassthroughEndPoint!;

        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(passthrough, "other.example.test"));

        // .NET sends no SNI for an IP literal, like HTTPS-to-IP clients and scanners.
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(passthrough, "127.0.0.1"));

        Assert.Equal("", await LoopbackClient.RawAsync(passthrough, $"GET / HTTP/1.1\r\nHost: {Host}\r\n\r\n"));

        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "unknown_sni")));
        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "no_sni")));
        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "not_tls")));
        Assert.Equal(0, targetServer.Accepted);
        Assert.Equal(0, bridge.Metric("dnsbridge_residual_connections_total", ("cutover", "shop")));
    }

    private static async Task HandshakeAsync(IPEndPoint endPoint, string targetHost)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await using var ssl = new SslStream(new NetworkStream(socket));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = targetHost, RemoteCertificateValidationCallback = (_, _, _, _) => true }, timeout.Token);
    }

    [Fact]
    public async Task A_ClientHello_split_across_several_TCP_writes_is_reassembled_and_the_handshake_succeeds()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await StartAsync(target.Address, target.Port);
        using var client = Client(bridge.PassthroughEndPoint!, inner => new SplitFirstWriteStream(inner, [1, 5, 40, 200]));

        Assert.Equal($"target says hello over HTTP/1.1 to {Host}", await client.GetStringAsync($"https://{Host}/split"));
        Assert.Equal(1, bridge.Metric("dnsbridge_residual_connections_total", ("cutover", "shop")));
    }

    [Fact]
    public async Task A_10_KiB_ClientHello_over_several_records_and_writes_reaches_the_target_byte_for_byte()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = TcpTestServer.Start(async socket => received.TrySetResult(await TcpTestServer.ReadToEndAsync(socket)));
        await using var bridge = await StartAsync(target.Address, target.Port);
        var message = ClientHelloBuilder.Message((0x0a0a, []), ClientHelloBuilder.Padding(10 * 1024), ClientHelloBuilder.Sni(Host));
        var hello = ClientHelloBuilder.Records(message, 4096);
        Assert.InRange(hello.Length, 10 * 1024, 11 * 1024);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(bridge.PassthroughEndPoint!);
        for (var offset = 0; offset < hello.Length; offset += 1460)
        {
            await socket.SendAsync(hello.AsMemory(offset, Math.Min(1460, hello.Length - offset)));
            await Task.Delay(20);
        }

        socket.Shutdown(SocketShutdown.Send);
        var arrived = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(hello, arrived);
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_closed_at_the_read_timeout_and_counted()
    {
        await using var target = TcpTestServer.Start(_ => Task.CompletedTask);
        await using var bridge = await StartAsync(target.Address, target.Port, new { RequestHeadersTimeout = "00:00:01" });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bridge.PassthroughEndPoint!);

        // A partial ClientHello, then silence.
        await socket.SendAsync(ClientHelloBuilder.Real(Host).AsMemory(0, 50));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await ReadOrResetAsync(socket, timeout.Token);

        Assert.Equal(0, read);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));
        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "timeout")));
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task A_ClientHello_trickled_in_small_pieces_within_the_read_timeout_is_routed()
    {
        await using var target = await StartTargetAsync(_ca.Issue([Host]));
        await using var bridge = await StartAsync(target.Address, target.Port, new { RequestHeadersTimeout = "00:00:04" });

        // 30 pieces of 16 bytes, 50 ms apart: about 1.5 s of drip, well inside the 4 s the whole ClientHello may take.
        using var client = Client(bridge.PassthroughEndPoint!, inner => new SplitFirstWriteStream(inner, [.. Enumerable.Repeat(16, 30)]));

        Assert.Equal($"target says hello over HTTP/1.1 to {Host}", await client.GetStringAsync($"https://{Host}/drip"));
        Assert.Equal(0, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "timeout")));
    }

    [Fact]
    public async Task A_client_that_keeps_trickling_but_never_completes_the_ClientHello_is_closed_at_the_read_timeout()
    {
        // The timeout bounds the whole ClientHello, not each read: a slow-loris client cannot hold a connection open.
        await using var target = TcpTestServer.Start(_ => Task.CompletedTask);
        await using var bridge = await StartAsync(target.Address, target.Port, new { RequestHeadersTimeout = "00:00:01" });
        var message = ClientHelloBuilder.Message(ClientHelloBuilder.Padding(12 * 1024), ClientHelloBuilder.Sni(Host));
        var hello = ClientHelloBuilder.Records(message);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(bridge.PassthroughEndPoint!);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var closed = ReadOrResetAsync(socket, timeout.Token);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var sent = 0;
        try
        {
            while (!closed.IsCompleted && sent < hello.Length)
            {
                sent += await socket.SendAsync(hello.AsMemory(sent, Math.Min(64, hello.Length - sent)));
                await Task.Delay(100);
            }
        }
        catch (SocketException)
        {
            // Closed under the writer: what the test expects.
        }

        Assert.Equal(0, await closed);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5));
        Assert.True(sent < hello.Length, "the whole ClientHello went out before the close");
        Assert.Equal(1, bridge.Metric("dnsbridge_rejected_connections_total", ("reason", "timeout")));
        Assert.Equal(0, target.Accepted);
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

    /// <summary>Splits the first write (the ClientHello) into TCP segments of the given sizes, 50 ms apart.</summary>
    private sealed class SplitFirstWriteStream(Stream inner, int[] sizes) : Stream
    {
        private bool _split;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_split)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            _split = true;
            foreach (var size in sizes)
            {
                var n = Math.Min(size, buffer.Length);
                await inner.WriteAsync(buffer[..n], cancellationToken);
                await inner.FlushAsync(cancellationToken);
                buffer = buffer[n..];
                await Task.Delay(50, cancellationToken);
            }

            await inner.WriteAsync(buffer, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
