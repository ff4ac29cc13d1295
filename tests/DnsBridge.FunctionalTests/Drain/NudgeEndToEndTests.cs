using System.Net.Sockets;
using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Drain;

/// <summary>
/// Nudging driven by real DNS: a dnsmasq that answers the source, then flips to the target, as the zone does at
/// cutover. Keep-alive clients are left alone before propagation is complete and told to reconnect after; the
/// API then tells the clients that re-resolved (stopped arriving) from those whose DNS cache still says source.
/// </summary>
public sealed class NudgeEndToEndTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";

    private static Task<string> SendAsync(NetworkStream stream, string client) =>
        LoopbackClient.ExchangeAsync(stream, $"GET / HTTP/1.1\r\nHost: {Host}\r\nX-Forwarded-For: {client}\r\n\r\n");

    private static async Task<NetworkStream> ConnectAsync(BridgeHost bridge)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bridge.ProxyEndPoint);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<JsonElement> CutoverAsync(BridgeHost bridge)
    {
        using var admin = bridge.CreateAdminClient();
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.Clone();
    }

    /// <summary>The loopback resolver has been polled and answered with the source address.</summary>
    private static bool AnswersSource(JsonElement cutover) =>
        cutover.GetProperty("propagation") is { ValueKind: JsonValueKind.Object } propagation
        && propagation.GetProperty("resolvers").EnumerateArray().Any(r => r.GetProperty("answer").GetString() == "source");

    [Fact]
    public async Task Clients_are_nudged_only_after_real_resolvers_flip_and_the_api_tells_who_stopped_arriving()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 1);
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new { Name = "shop", Hosts = new[] { Host }, Target = new { target.Address, target.Port, Scheme = "http" }, SourceAddresses = new[] { Source } },
            },
            Resolvers = new
            {
                Preset = "none",
                AuthoritativeServers = new[] { dns.Address },
                Custom = new[] { new { Name = "loopback", dns.Address, Region = "loopback" } },
            },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
        });

        // Before the switch, once the resolvers have been asked and answered the source (so the bridge has had what it
        // decides on, not merely no answer yet): keep-alive connections are left alone.
        var seenSource = DateTime.UtcNow.AddSeconds(30);
        while (!AnswersSource(await CutoverAsync(bridge)))
        {
            Assert.True(DateTime.UtcNow < seenSource, "no resolver answered the source within 30 s");
            await Task.Delay(100);
        }

        var stays = await ConnectAsync(bridge);
        var leaves = await ConnectAsync(bridge);
        Assert.DoesNotContain("Connection: close", await SendAsync(stays, "203.0.113.1"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Connection: close", await SendAsync(leaves, "203.0.113.2"), StringComparison.OrdinalIgnoreCase);
        var before = await CutoverAsync(bridge);
        Assert.False(before.GetProperty("nudge").GetProperty("active").GetBoolean());
        Assert.Equal("pending", before.GetProperty("drain").GetProperty("state").GetString());

        await dns.SetAsync(Host, target.Address);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await CutoverAsync(bridge)).GetProperty("drain").GetProperty("state").GetString() != "draining")
        {
            Assert.True(DateTime.UtcNow < deadline, "propagation did not complete within 30 s");
            await Task.Delay(200);
        }

        // After it: the next response on each connection says Connection: close, and the connection ends.
        foreach (var (stream, client) in new[] { (stays, "203.0.113.1"), (leaves, "203.0.113.2") })
        {
            var response = await SendAsync(stream, client);
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await stream.ReadAsync(new byte[16], timeout.Token));
            await stream.DisposeAsync();
        }

        // One client's own DNS cache still says source: it keeps reconnecting to the source until the API counts it
        // as still arriving (requests within a second of its nudge count as the nudged connection's own). The other
        // never comes back.
        var returned = DateTime.UtcNow.AddSeconds(15);
        JsonElement nudge;
        do
        {
            await Task.Delay(100);
            await using (var again = await ConnectAsync(bridge))
            {
                Assert.StartsWith("HTTP/1.1 200", await SendAsync(again, "203.0.113.1"), StringComparison.Ordinal);
            }

            nudge = (await CutoverAsync(bridge)).GetProperty("nudge");
            Assert.True(DateTime.UtcNow < returned, "the returning client was not counted as still arriving within 15 s");
        }
        while (nudge.GetProperty("clientsStillArriving").GetInt32() == 0);

        Assert.True(nudge.GetProperty("active").GetBoolean());
        Assert.True(nudge.GetProperty("connections").GetProperty("http1").GetInt64() >= 2);
        Assert.Equal(2, nudge.GetProperty("clientsNudged").GetInt32());
        Assert.Equal(1, nudge.GetProperty("clientsStillArriving").GetInt32());
        Assert.Equal(1, nudge.GetProperty("clientsStopped").GetInt32());

        using var admin = bridge.CreateAdminClient();
        Assert.Contains("of 2 nudged client(s), 1 stopped arriving at the source and 1 still arrive", await admin.GetStringAsync("/api/cutovers/shop/report"), StringComparison.Ordinal);
    }
}
