using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// A TCP port forward and a TLS passthrough cutover follow the phase like requests do: to the source backend in
/// rehearsal (a port forward keeps its port, passthrough dials SourceBackend.Port), held while frozen and released to
/// the target at the switch, to the source again after a rollback.
/// </summary>
public sealed class PhaseConnectionTests : IDisposable
{
    private readonly TestCertificates _ca = new();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public async Task A_tcp_cutover_goes_to_the_source_then_is_held_and_released_to_the_target()
    {
        await using var target = TcpTestServer.Start(s => AnswerAsync(s, "target"));
        using var source = Listen(new IPEndPoint(IPAddress.Parse("127.0.0.2"), target.Port));
        var serving = ServeAsync(source, "source");
        var listen = TcpTestServer.FreeEndPoint();
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", AdminToken = Token },
            Cutovers = new object[]
            {
                new
                {
                    Name = "db", Hosts = new[] { "db.example.test" }, Target = new { target.Address, Scheme = "tcp" },
                    Ports = new[] { new { Listen = listen.ToString(), Target = target.Port } },
                    SourceBackend = new { Address = "127.0.0.2", Port = target.Port, Scheme = "tcp" },
                    Freeze = new { Hold = "00:00:20" },
                },
            },
        });

        Assert.Equal("source", await ReadAsync(listen));

        Assert.Equal(0, (await CliAsync(bridge, "freeze", "db")).Exit);
        var held = Enumerable.Range(0, 4).Select(_ => ReadAsync(listen)).ToList();
        await WaitForAsync(() => Cell(bridge, "db").Held == 4, "4 connections held");
        Assert.Equal(0, target.Accepted);

        Assert.Equal(0, (await CliAsync(bridge, "switch", "db")).Exit);

        Assert.All(await Task.WhenAll(held), answer => Assert.Equal("target", answer));
        Assert.Equal("target", await ReadAsync(listen));
        Assert.Equal(4, await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "db"), ("outcome", "released")));
        source.Dispose();
        await serving;
    }

    [Fact]
    public async Task A_passthrough_cutover_goes_to_the_source_then_is_held_and_released_to_the_target_and_rolls_back()
    {
        // Both sides hold a certificate for the name: the client validates whichever it reaches, the body says which.
        await using var source = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "source"), _ca.Issue([ShopHost]));
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "target"), _ca.Issue([ShopHost]));
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0", Passthrough = "127.0.0.1:0", AdminToken = Token },
            Cutovers = new object[]
            {
                new
                {
                    Name = "shop", Hosts = new[] { ShopHost }, Target = new { target.Address, target.Port, Scheme = "tls" },
                    SourceBackend = new { source.Address, source.Port, Scheme = "tls" },
                    Freeze = new { Hold = "00:00:20" },
                },
            },
        });
        var passthrough = bridge.PassthroughEndPoint!;

        Assert.Equal("source", await GetOverTlsAsync(passthrough));
        Assert.Equal(ShopHost, Assert.Single(source.ServerNames));

        Assert.Equal(0, (await CliAsync(bridge, "freeze", "shop")).Exit);
        var held = Enumerable.Range(0, 4).Select(_ => GetOverTlsAsync(passthrough)).ToList();
        await WaitForAsync(() => Cell(bridge).Held == 4, "4 TLS connections held");
        Assert.Empty(target.ServerNames);

        Assert.Equal(0, (await CliAsync(bridge, "switch", "shop")).Exit);

        Assert.All(await Task.WhenAll(held), answer => Assert.Equal("target", answer));
        Assert.Equal("target", await GetOverTlsAsync(passthrough));
        Assert.Equal(4, await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "shop"), ("outcome", "released")));

        Assert.Equal(0, (await CliAsync(bridge, "rollback", "shop")).Exit);
        Assert.Equal("source", await GetOverTlsAsync(passthrough));
    }

    /// <summary>One HTTPS GET on a connection of its own, validated against the test CA and the name only.</summary>
    private async Task<string> GetOverTlsAsync(IPEndPoint passthrough)
    {
        var handler = LoopbackClient.Handler(passthrough);
        handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, e) => Trusted(c, e) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        return await client.GetStringAsync($"https://{ShopHost}/page");
    }

    private bool Trusted(X509Certificate? certificate, SslPolicyErrors errors) => _ca.Validates(certificate, errors);

    private static async Task AnswerAsync(Socket socket, string text)
    {
        using (socket)
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(text));
            socket.Shutdown(SocketShutdown.Both);
        }
    }

    private static Socket Listen(IPEndPoint endPoint)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endPoint);
        listener.Listen(64);
        return listener;
    }

    private static async Task ServeAsync(Socket listener, string text)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync();
                _ = AnswerAsync(socket, text);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<string> ReadAsync(IPEndPoint endPoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return Encoding.ASCII.GetString(await TcpTestServer.ReadToEndAsync(socket, cancellationToken: timeout.Token));
    }
}
