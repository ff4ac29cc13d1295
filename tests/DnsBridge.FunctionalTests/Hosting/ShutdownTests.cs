using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DnsBridge.FunctionalTests.Hosting;

/// <summary>SIGTERM to a real dnsbridge process, as a container runtime sends it, with a request in flight.</summary>
public sealed class ShutdownTests : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-shutdown").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(string Config, int ProxyPort, int AdminPort)> WriteConfigAsync(TestUpstream target, string shutdownTimeout)
    {
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(_dir, "dnsbridge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { target.Address, target.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Propagation = new { Enabled = false },
                State = new { Path = Path.Combine(_dir, "state.db") },
                Limits = new { ShutdownTimeout = shutdownTimeout },
            },
        }));
        return (config, proxyPort, adminPort);
    }

    [Fact]
    public async Task Sigterm_gives_open_websockets_the_shutdown_timeout_then_cuts_them_and_exits_0()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/ws", async (HttpContext c) =>
        {
            // An echo that never closes on its own, like a chat or a trading feed.
            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
                }
            }
            catch (WebSocketException)
            {
            }
        }));
        var (config, proxyPort, adminPort) = await WriteConfigAsync(target, "00:00:03");
        await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        using var invoker = new HttpMessageInvoker(LoopbackClient.Handler(new IPEndPoint(IPAddress.Loopback, proxyPort)));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{Host}/ws"), invoker, CancellationToken.None);
        Assert.Equal("before", await EchoAsync(socket, "before"));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var exit = bridge.TerminateAsync(TimeSpan.FromSeconds(30));

        // Still served while the process drains...
        Assert.Equal("during", await EchoAsync(socket, "during"));

        // ...until Limits:ShutdownTimeout (3 s here) runs out: then it is cut and the process exits cleanly.
        Assert.Equal(0, await exit);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(20));
        await Assert.ThrowsAnyAsync<Exception>(() => EchoAsync(socket, "after"));
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[1024];
        var r = await socket.ReceiveAsync(buffer, timeout.Token);
        return r.MessageType == WebSocketMessageType.Close ? throw new WebSocketException("closed") : System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count);
    }

    [Fact]
    public async Task Sigterm_refuses_new_connections_finishes_requests_in_flight_flushes_the_store_and_exits_0()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await TestUpstream.StartAsync(app =>
        {
            app.Map("/slow", async () =>
            {
                arrived.TrySetResult();
                await release.Task;
                return "done";
            });
            app.Map("/{**p}", () => "ok");
        });
        var (config, proxyPort, adminPort) = await WriteConfigAsync(target, "00:00:45");
        var state = Path.Combine(_dir, "state.db");
        await using var bridge = await BridgeProcess.StartAsync(config, proxyPort, adminPort);
        var proxy = new IPEndPoint(IPAddress.Loopback, proxyPort);
        using var client = LoopbackClient.Create(proxy);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/warm/{i}"));
        }

        using var slowClient = LoopbackClient.Create(proxy);
        var inFlight = slowClient.GetStringAsync($"http://{Host}/slow");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var exit = bridge.TerminateAsync(TimeSpan.FromSeconds(30));

        // Stopping: new connections are refused while the request in flight is still being served.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var refused = false;
        while (!refused && DateTime.UtcNow < deadline)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(proxy);
                await Task.Delay(50);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                refused = true;
            }
        }

        Assert.True(refused, "the proxy listener still accepted connections 10 s after SIGTERM");
        Assert.False(inFlight.IsCompleted);
        release.SetResult();
        Assert.Equal("done", await inFlight.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await exit);

        // The last second of accounting was written on the way out: 7 + 1 residual requests.
        using var connection = new SqliteConnection($"Data Source={state};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(count), 0) FROM residual_minutes WHERE cutover = 'shop'";
        Assert.Equal(8L, (long)command.ExecuteScalar()!);
        Assert.Contains("Application is shutting down", bridge.Output, StringComparison.Ordinal);
    }
}
