using System.Net;
using System.Net.Sockets;
using System.Text;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// A TCP port forward follows the phase like requests do: to the source backend in rehearsal (same port, the source
/// backend's address), held while frozen and released to the target at the switch, closed when the hold runs out.
/// </summary>
public sealed class PhaseConnectionTests
{
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
