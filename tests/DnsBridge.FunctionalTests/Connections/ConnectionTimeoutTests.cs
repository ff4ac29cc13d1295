using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsBridge.Connections;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Connections;

/// <summary>
/// Relayed connections do not outlive their clients: TCP keepalive on the client leg too, and
/// <c>Listen:ConnectionIdleTimeout</c> / <c>Listen:ConnectionHalfCloseTimeout</c> close relays that went quiet, in
/// every phase (not only once propagation is complete), so a client gone behind a NAT frees its
/// <c>Limits:MaxConnections</c> slot.
/// </summary>
public sealed class ConnectionTimeoutTests
{
    private static object Section(IPEndPoint listen, TcpTestServer target, object listenTimeouts, long maxConnections = 100) => new
    {
        Listen = Merge(new Dictionary<string, object> { ["Proxy"] = "http://127.0.0.1:0", ["Admin"] = "http://127.0.0.1:0" }, listenTimeouts),
        Limits = new { MaxConnections = maxConnections },
        Cutovers = new[]
        {
            new
            {
                Name = "db",
                Hosts = new[] { "db.example.test" },
                Target = new { target.Address, Scheme = "tcp" },
                Ports = new[] { new { Listen = listen.ToString(), Target = target.Port } },
            },
        },
    };

    private static Dictionary<string, object> Merge(Dictionary<string, object> into, object values)
    {
        foreach (var property in values.GetType().GetProperties())
        {
            into[property.Name] = property.GetValue(values)!;
        }

        return into;
    }

    private static TcpTestServer Echo() => TcpTestServer.Start(async socket =>
    {
        var buffer = new byte[1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, n));
        }
    });

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private static async Task EchoOnceAsync(Socket socket, byte value)
    {
        await socket.SendAsync(new[] { value });
        var buffer = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
        Assert.Equal(value, buffer[0]);
    }

    /// <summary>Reads until the relay closes the socket (end of stream or reset); false when it is still open at the deadline.</summary>
    private static async Task<bool> ClosedWithinAsync(Socket socket, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await TcpTestServer.ReadToEndAsync(socket, cancellationToken: timeout.Token);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<double> MetricAsync(HttpClient admin, string name, params (string, string)[] labels) =>
        MetricsText.Value(await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)), name, labels);

    [Fact]
    public async Task A_client_gone_silent_frees_its_slot_after_the_idle_timeout_and_the_next_client_is_served()
    {
        await using var target = Echo();
        var listen = TcpTestServer.FreeEndPoint();
        // One slot: while the silent client holds it, every other client is refused.
        await using var bridge = await BridgeHost.StartAsync(Section(listen, target, new { ConnectionIdleTimeout = "00:00:05" }, maxConnections: 1));
        // One kept-alive admin connection for every metrics read (Limits:MaxConnections is 1 on the admin listener too).
        using var admin = bridge.CreateAdminClient();

        // A client that relays a byte, then never sends, reads or closes again: on the wire, the same as one whose
        // NAT mapping expired. The second client comes within the idle timeout and finds the slot taken.
        using var silent = await ConnectAsync(listen);
        await EchoOnceAsync(silent, 1);
        using (var refused = await ConnectAsync(listen))
        {
            Assert.True(await ClosedWithinAsync(refused, TimeSpan.FromSeconds(10)), "a second client was relayed beyond MaxConnections 1");
        }

        // Closed by the idle timeout (plus the once-a-second sweep), not by anything the client did.
        Assert.True(await ClosedWithinAsync(silent, TimeSpan.FromSeconds(5 + 30)), "the silent client was never closed");
        var deadline = Stopwatch.StartNew();
        while (await MetricAsync(admin, "dnsbridge_open_connections", ("cutover", "db")) != 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, await MetricAsync(admin, "dnsbridge_open_connections", ("cutover", "db")));
        Assert.Equal(1, await MetricAsync(admin, "dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "idle")));
        Assert.Equal(0, await MetricAsync(admin, "dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "half_close")));
        Assert.Equal(1, await MetricAsync(admin, "dnsbridge_rejected_connections_total", ("reason", "limit")));

        // The slot is free again: the next client is relayed.
        using var next = await ConnectAsync(listen);
        await EchoOnceAsync(next, 2);
        Assert.Equal(1, bridge.Services.GetRequiredService<ConnectionForwarder>().OpenConnections);
    }

    [Fact]
    public async Task After_the_clients_FIN_a_target_that_never_answers_nor_closes_is_cut_after_the_half_close_timeout()
    {
        var finSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        // Reads to the client's end of stream, then holds the connection open without a byte, like a hung backend.
        await using var target = TcpTestServer.Start(async socket =>
        {
            await TcpTestServer.ReadToEndAsync(socket);
            finSeen.TrySetResult();
            await Task.Delay(Timeout.Infinite, stop.Token);
        });
        var listen = TcpTestServer.FreeEndPoint();
        await using var bridge = await BridgeHost.StartAsync(Section(listen, target, new { ConnectionHalfCloseTimeout = "00:00:02" }));

        using var client = await ConnectAsync(listen);
        await client.SendAsync("request"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        await finSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The idle timeout (an hour by default) would never fire within this bound: only the half-close one can.
        Assert.True(await ClosedWithinAsync(client, TimeSpan.FromSeconds(2 + 30)), "the half-closed relay was never closed");
        await stop.CancelAsync();
        var deadline = Stopwatch.StartNew();
        while (bridge.Metric("dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "half_close")) == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, bridge.Metric("dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "half_close")));
        Assert.Equal(0, bridge.Metric("dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "idle")));
        Assert.Equal(0, bridge.Metric("dnsbridge_open_connections", ("cutover", "db")));
    }

    [Fact]
    public async Task After_the_clients_FIN_an_answer_that_keeps_moving_is_not_cut_by_the_half_close_timeout()
    {
        // 20 chunks, 200 ms apart: four seconds of answer, longer than the two-second half-close timeout, never idle
        // for more than a tenth of it.
        const int Chunks = 20;
        await using var target = TcpTestServer.Start(async socket =>
        {
            await TcpTestServer.ReadToEndAsync(socket);
            for (var i = 0; i < Chunks; i++)
            {
                await socket.SendAsync("."u8.ToArray());
                await Task.Delay(200);
            }
        });
        var listen = TcpTestServer.FreeEndPoint();
        await using var bridge = await BridgeHost.StartAsync(Section(listen, target, new { ConnectionHalfCloseTimeout = "00:00:02" }));

        using var client = await ConnectAsync(listen);
        await client.SendAsync("request"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answer = await TcpTestServer.ReadToEndAsync(client, cancellationToken: timeout.Token);

        Assert.Equal(Chunks, answer.Length);
        Assert.Equal(0, bridge.Metric("dnsbridge_timed_out_connections_total", ("cutover", "db"), ("reason", "half_close")));
    }

    [Fact]
    public async Task The_client_leg_has_TCP_keepalive_like_the_target_leg()
    {
        await using var target = Echo();
        var listen = TcpTestServer.FreeEndPoint();
        await using var bridge = await BridgeHost.StartAsync(Section(listen, target, new { }));

        using var client = await ConnectAsync(listen);
        await EchoOnceAsync(client, 1);

        // The relay's accepted socket (local port = the forward's) and its connect to the target (remote port = the
        // target's), as the kernel reports them: both carry a keepalive timer.
        Assert.Contains("timer:(keepalive", await SocketsAsync($"sport = :{listen.Port}"), StringComparison.Ordinal);
        Assert.Contains("timer:(keepalive", await SocketsAsync($"dport = :{target.Port}"), StringComparison.Ordinal);
    }

    private static async Task<string> SocketsAsync(string filter)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-tnoH", "state", "established", filter]) { RedirectStandardOutput = true })!;
        var output = await ss.StandardOutput.ReadToEndAsync();
        await ss.WaitForExitAsync();
        Assert.False(string.IsNullOrWhiteSpace(output), $"ss found no socket for {filter}");
        return output;
    }
}
