using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Residual;

/// <summary>
/// Late in a drain the clients that matter are the long tail: a client that first shows up after 15,000 others
/// and then sends the most requests must top the list, and the distinct count must follow 30,000 clients
/// (estimated) instead of stopping at the summary's 10,000 keys.
/// </summary>
public sealed class TopClientsTests
{
    private const string Late = "203.0.113.77";

    [Fact]
    public async Task A_client_that_arrives_after_15000_others_and_sends_the_most_is_listed_first_and_30000_are_counted()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var bridge = await ResidualTraffic.StartBridgeAsync(target);

        await ResidualTraffic.SendAsync(bridge, 15_000, i => (ResidualTraffic.Address(i), "curl/8"));
        await ResidualTraffic.SendAsync(bridge, 10, _ => (Late, "JavaApp/1.8"));
        await ResidualTraffic.SendAsync(bridge, 15_000, i => (ResidualTraffic.Address(15_000 + i), "curl/8"));

        var residual = await ResidualTraffic.ResidualAsync(bridge);
        Assert.Equal(30_010, residual.GetProperty("total").GetInt64());
        var top = residual.GetProperty("topClients")[0];
        Assert.Equal(Late, top.GetProperty("client").GetString());

        // Space-Saving: the count never underestimates, and count - error never overestimates.
        var requests = top.GetProperty("requests").GetInt64();
        Assert.InRange(10, requests - top.GetProperty("error").GetInt64(), requests);

        var distinct = residual.GetProperty("distinctClients1h").GetInt32();
        Assert.True(residual.GetProperty("distinctClientsEstimated").GetBoolean());
        Assert.InRange(distinct, 30_001 * 0.95, 30_001 * 1.05);
    }
}
