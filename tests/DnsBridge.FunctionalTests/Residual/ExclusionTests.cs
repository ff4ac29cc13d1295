using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Residual;

/// <summary>
/// <c>Drain.Exclude.UserAgents</c> and <c>ClientCidrs</c> through a real DnsBridge: excluded requests are
/// forwarded like any other but are not residual traffic, and each is counted under its reason.
/// </summary>
public sealed class ExclusionTests
{
    [Fact]
    public async Task Health_checkers_and_internal_clients_are_forwarded_counted_as_excluded_and_never_residual()
    {
        var seen = 0;
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () =>
        {
            Interlocked.Increment(ref seen);
            return "ok";
        }));
        await using var bridge = await ResidualTraffic.StartBridgeAsync(target, new
        {
            UserAgents = new[] { "ELB-HealthChecker*", "kube-probe/?.*" },
            ClientCidrs = new[] { "192.0.2.0/24", "2001:db8::/32" },
        });

        await ResidualTraffic.SendAsync(bridge, 3, _ => ("203.0.113.9", "ELB-HealthChecker/2.0"));
        await ResidualTraffic.SendAsync(bridge, 2, _ => ("203.0.113.9", "kube-probe/1.29"));
        await ResidualTraffic.SendAsync(bridge, 2, i => ($"192.0.2.{i + 1}", "Mozilla/5.0"));
        await ResidualTraffic.SendAsync(bridge, 1, _ => ("2001:db8::5", "Mozilla/5.0"));
        await ResidualTraffic.SendAsync(bridge, 1, _ => ("203.0.113.10", "Mozilla/5.0"));
        await ResidualTraffic.SendAsync(bridge, 1, _ => ("203.0.113.11", "kube-probe/12"));

        Assert.Equal(10, seen);
        Assert.Equal(5, bridge.Metric("dnsbridge_excluded_requests_total", ("cutover", "shop"), ("reason", "user_agent")));
        Assert.Equal(3, bridge.Metric("dnsbridge_excluded_requests_total", ("cutover", "shop"), ("reason", "client")));
        Assert.Equal(0, bridge.Metric("dnsbridge_excluded_requests_total", ("cutover", "shop"), ("reason", "path")));
        Assert.Equal(2, bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
        Assert.Equal(10, bridge.Metric("dnsbridge_forwarded_requests_total", ("cutover", "shop"), ("code", "2xx")));

        var residual = await ResidualTraffic.ResidualAsync(bridge);
        Assert.Equal(2, residual.GetProperty("total").GetInt64());
        Assert.Equal(8, residual.GetProperty("excluded").GetInt64());
        var clients = residual.GetProperty("topClients").EnumerateArray().Select(c => c.GetProperty("client").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["203.0.113.10", "203.0.113.11"], clients);
    }
}
