using System.Text.Json;
using System.Text.Json.Nodes;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// Issue 13 item 7: the source site's firewall lets DNS out only to its own resolvers, so the zone's authoritative
/// servers never answer. The resolvers decide the switch (DESIGN.md's rule without authoritative servers), and
/// the API, the status page, the log and the metrics say so.
/// </summary>
public sealed class SilentAuthoritativeTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";

    private static JsonObject Section(IEnumerable<string> authoritative, params Dnsmasq[] resolvers) => JsonSerializer.SerializeToNode(new
    {
        Cutovers = new[]
        {
            new
            {
                Name = "shop",
                Hosts = new[] { Host },
                Target = new { Address = Target, Port = 9, Scheme = "http" },
                SourceAddresses = new[] { Source },
                Drain = new { QuietPeriod = "01:00:00" },
            },
        },
        Resolvers = new
        {
            Preset = "none",
            Authoritative = true,
            AuthoritativeServers = authoritative.ToArray(),
            Custom = resolvers.Select((r, i) => new { Name = $"r{i}", r.Address, Region = "Europe" }).ToArray(),
        },
        Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.300", Concurrency = 8 },
    })!.AsObject();

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(what);
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the monitor has finished <paramref name="polls"/> more passes: the observable proof that it looked again.</summary>
    private static async Task<PropagationSnapshot> NextPollsAsync(BridgeHost bridge, int polls)
    {
        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var snapshot = view.Latest("shop")!;
        for (var i = 0; i < polls; i++)
        {
            var at = snapshot.At;
            await WaitForAsync(() => view.Latest("shop")!.At > at, $"no poll after {at:O}");
            snapshot = view.Latest("shop")!;
        }

        return snapshot;
    }

    [Fact]
    public async Task Silent_authoritative_servers_let_the_resolvers_switch_and_complete_the_cutover_and_it_is_said_once()
    {
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);
        await using var silent2 = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);
        await using var r0 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var r1 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var bridge = await BridgeHost.StartAsync(Section([silent.EndPoint.ToString(), silent2.EndPoint.ToString()], r0, r1));
        var detector = bridge.Services.GetRequiredService<DrainDetector>();
        var events = bridge.Services.GetRequiredService<DnsBridge.State.IEventStore>();

        // pending -> propagating (dns_switched) -> draining (propagation_complete), on the resolvers alone.
        await WaitForAsync(() => detector.Status("shop")!.State == DrainState.Draining, $"still {detector.Status("shop")!.State}");
        var raised = events.Events("shop");
        Assert.Equal([EventNames.DnsSwitched, EventNames.PropagationComplete], raised.Select(e => e.Event));
        Assert.Contains("seen on the resolvers because the authoritative servers did not answer", raised[0].Text, StringComparison.Ordinal);
        Assert.Contains(silent.EndPoint.ToString(), raised[0].Text, StringComparison.Ordinal);

        // Several more polls: the warning is logged once, when it starts, not on every poll.
        await NextPollsAsync(bridge, 3);
        Assert.Single(bridge.Logs.Messages, m => m.Contains("none of the authoritative servers answers", StringComparison.Ordinal));
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_authoritative_unreachable", ("cutover", "shop")));

        using (var admin = bridge.CreateAdminClient())
        {
            using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
            var propagation = doc.RootElement.GetProperty("propagation");
            Assert.True(propagation.GetProperty("authoritativeUnreachable").GetBoolean());
            Assert.True(propagation.GetProperty("complete").GetBoolean());
            Assert.Equal(
                new[] { silent.EndPoint.ToString(), silent2.EndPoint.ToString() }.Order(StringComparer.Ordinal),
                propagation.GetProperty("authoritativeUnreachableServers").EnumerateArray().Select(s => s.GetProperty("resolver").GetString()!).Order(StringComparer.Ordinal));
        }

        var (dom, _) = await Chromium.DumpDomAsync(new Uri(bridge.AdminUri, "/cutovers/shop"), virtualTimeMs: 3_000);
        Assert.Contains("<strong>Authoritative servers do not answer:</strong>", dom, StringComparison.Ordinal);
        Assert.Contains(silent2.EndPoint.ToString(), dom, StringComparison.Ordinal);

        // One server answers again: the resolvers no longer decide alone, and that is said once too.
        await using var auth = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await bridge.EditConfigAsync(Section([silent.EndPoint.ToString(), auth.Address], r0, r1));
        await WaitForAsync(() => bridge.Services.GetRequiredService<IPropagationView>().Latest("shop")!.Authoritative == ResolverAnswer.Target, "the answering server was not heard");
        await NextPollsAsync(bridge, 2);
        Assert.Single(bridge.Logs.Messages, m => m.Contains("an authoritative server answers again", StringComparison.Ordinal));
        Assert.Single(bridge.Logs.Messages, m => m.Contains("none of the authoritative servers answers", StringComparison.Ordinal));
        Assert.Equal(0, bridge.Metric("dnsbridge_dns_authoritative_unreachable", ("cutover", "shop")));
        Assert.Equal(DrainState.Draining, detector.Status("shop")!.State);
    }
}
