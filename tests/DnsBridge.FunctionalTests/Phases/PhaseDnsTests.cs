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

    [Fact]
    public async Task Drain_detection_pauses_while_rolled_back_and_resumes_at_the_switch()
    {
        await using var apps = await PhaseHarness.StartAsync();
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [ShopHost] = [SourceAddress] }, ttl: 1);
        await using var bridge = await BridgeHost.StartAsync(apps.Section(resolver: dns.Address));
        var detector = bridge.Services.GetRequiredService<DnsBridge.Drain.DrainDetector>();
        var monitor = bridge.Services.GetRequiredService<DnsBridge.Propagation.IPropagationView>();

        Assert.Equal(0, (await CliAsync(bridge, "freeze", "shop")).Exit);
        Assert.Equal(0, (await CliAsync(bridge, "rollback", "shop")).Exit);
        var rolledBack = DateTimeOffset.UtcNow;

        // Rolled back, DNS answers the source: to the monitor that is the rollback fully propagated (ratio 1), which
        // would read as a DNS switch to the drain rules; the detector has ticked since and moved nothing.
        await WaitForAsync(() => monitor.Latest("shop") is { } s && s.At > rolledBack.AddSeconds(1) && s.Ratio == 1, "a poll after the rollback, propagated");
        var ticks = detector.Ticks;
        await WaitForAsync(() => detector.Ticks > ticks + 1, "two drain ticks after that poll");

        Assert.Equal(DnsBridge.Events.DrainState.Pending, detector.Status("shop")!.State);
        Assert.DoesNotContain(await EventsAsync(bridge), e => e == "dns_switched");

        // Switched again, then DNS moves to the target: that is the switch the drain rules see.
        Assert.Equal(0, (await CliAsync(bridge, "switch", "shop")).Exit);
        await dns.SetAsync(ShopHost, apps.Target.Address);
        await WaitForAsync(() => detector.Status("shop")!.State != DnsBridge.Events.DrainState.Pending, "the drain state moves on after the switch");
        Assert.Contains(await EventsAsync(bridge), e => e == "dns_switched");
    }

    private static async Task<List<string>> EventsAsync(BridgeHost bridge)
    {
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return [.. System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop"))!["events"]!.AsArray().Select(e => e!["event"]!.GetValue<string>())];
    }
}
