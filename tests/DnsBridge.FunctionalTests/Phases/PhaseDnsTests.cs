using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// <c>Switch.Auto: "dns"</c> with a real dnsmasq: a frozen cutover switches by itself when DNS answers the target,
/// releasing the held requests there; and after a rollback the monitor expects the source addresses again.
/// </summary>
public sealed class PhaseDnsTests
{
    [Fact]
    public async Task A_frozen_cutover_switches_by_itself_when_dns_answers_the_target_and_a_rollback_watches_dns_go_back()
    {
        await using var apps = await PhaseHarness.StartAsync();
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [ShopHost] = [SourceAddress] }, ttl: 1);
        await using var bridge = await BridgeHost.StartAsync(apps.Section(auto: "dns", resolver: dns.Address));

        Assert.Equal(0, (await CliAsync(bridge, "freeze", "shop")).Exit);
        var held = Enumerable.Range(0, 16).Select(_ => GetAsync(bridge)).ToList();
        await WaitForAsync(() => Cell(bridge).Held == 16, "16 requests held");

        await dns.SetAsync(ShopHost, apps.Target.Address);

        var answers = await Task.WhenAll(held);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.All(answers, a => Assert.StartsWith("target", a.Body, StringComparison.Ordinal));
        Assert.Equal("switched", await PhaseAsync(bridge));
        using (var admin = bridge.CreateAdminClient())
        {
            admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
            var events = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop"))!["events"]!.AsArray();
            Assert.Contains(events, e => e!["text"]!.GetValue<string>().StartsWith("shop: phase changed from frozen to switched by auto", StringComparison.Ordinal));
        }

        // Rolled back: DNS going back to the source is what the monitor now counts as propagated.
        Assert.Equal(0, (await CliAsync(bridge, "rollback", "shop")).Exit);
        await dns.SetAsync(ShopHost, SourceAddress);
        await WaitForAsync(() => MetricAsync(bridge, "dnsbridge_dns_propagation_ratio", ("cutover", "shop")).GetAwaiter().GetResult() == 1,
            "the rollback seen as propagated", TimeSpan.FromSeconds(30));
        Assert.StartsWith("source", (await GetAsync(bridge)).Body, StringComparison.Ordinal);
    }
}
