using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DnsBridge.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DnsBridge.Tests.Hosting;

/// <summary>SIGTERM to a real dnsbridge process, as a container runtime sends it, with a request in flight.</summary>
public sealed class ShutdownTests : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-shutdown").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
        int proxyPort = BridgeProcess.FreePort(), adminPort = BridgeProcess.FreePort();
        var config = Path.Combine(_dir, "dnsbridge.json");
        var state = Path.Combine(_dir, "state.db");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { target.Address, target.Port, Scheme = "http" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Propagation = new { Enabled = false },
                State = new { Path = state },
            },
        }));
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
