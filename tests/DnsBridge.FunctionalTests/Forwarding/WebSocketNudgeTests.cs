using System.Net.WebSockets;
using System.Text;
using DnsBridge.Forwarding;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>Proxied WebSockets are closed with 1001 after Drain.WebSocketGrace once propagation is complete, and can reconnect.</summary>
public sealed class WebSocketNudgeTests
{
    private static Task<TestUpstream> StartEchoAsync() => TestUpstream.StartAsync(app => app.Map("/ws", async (HttpContext c) =>
    {
        using var socket = await c.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[1024];
        while (true)
        {
            WebSocketReceiveResult r;
            try
            {
                r = await socket.ReceiveAsync(buffer, CancellationToken.None);
            }
            catch (WebSocketException)
            {
                return;
            }

            if (r.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
        }
    }));

    private static async Task<ClientWebSocket> ConnectAsync(BridgeHost bridge, HttpMessageInvoker invoker)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri("ws://chat.example.test/ws"), invoker, CancellationToken.None);
        return socket;
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[1024];
        var r = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, r.Count);
    }

    [Fact]
    public async Task A_WebSocket_is_closed_with_1001_after_the_grace_period_and_can_reconnect()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new { Name = "chat", Hosts = new[] { "chat.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" }, Drain = new { WebSocketGrace = "00:05:00" } },
            },
        }, s => s.AddSingleton<TimeProvider>(time));
        var nudger = bridge.Services.GetRequiredService<WebSocketNudger>();
        using var invoker = new HttpMessageInvoker(LoopbackClient.Handler(bridge.ProxyEndPoint));

        using var socket = await ConnectAsync(bridge, invoker);
        Assert.Equal("one", await EchoAsync(socket, "one"));

        // Before propagation is complete, time alone closes nothing.
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("two", await EchoAsync(socket, "two"));

        bridge.Services.GetRequiredService<NudgeRegistry>().For("chat").PropagationComplete = true;
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("three", await EchoAsync(socket, "three"));
        time.Advance(TimeSpan.FromMinutes(5));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await socket.ReceiveAsync(new byte[64], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, result.CloseStatus);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        Assert.Equal(1, bridge.Metric("dnsbridge_nudged_connections_total", ("cutover", "chat"), ("kind", "websocket")));

        using var again = await ConnectAsync(bridge, invoker);
        Assert.Equal("again", await EchoAsync(again, "again"));
        await again.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }
}
