using System.Text.Json;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;
using DnsBridge.State;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// A cutover that also moves DNS provider, on three real NSD servers: the old provider (its copy of example.test
/// still says source), the new provider (says target) and the parent zone <c>test</c>, which delegates example.test
/// to the new provider with the usual 172800 s NS TTL. The parent is named by <c>ParentNameServers</c> (IP:PORT).
/// </summary>
public sealed class DelegationTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    internal static IEnumerable<string> Child(string provider, string answer) =>
        [$"@ IN NS ns1.{provider}.test.", $"shop IN A {answer}"];

    internal static IEnumerable<string> Parent(string provider, Nsd server) =>
        [$"@ IN NS ns.test.", $"ns IN A {server.EndPoint.Address}", $"example 172800 IN NS ns1.{provider}.test.", $"ns1.{provider} IN A {server.EndPoint.Address}"];

    private static object Config(Nsd current, Nsd parent, string[] previous) => new
    {
        Cutovers = new[]
        {
            new
            {
                Name = "shop", Hosts = new[] { Host }, Target = new { Address = Target, Port = 9, Scheme = "http" }, SourceAddresses = new[] { Source },
                Dns = new { PreviousNameServers = previous, ParentNameServers = new[] { parent.Address } },
            },
        },

        // The new provider doubles as the one resolver: it answers what resolvers will once their caches expire.
        Resolvers = new { Preset = "none", Authoritative = true, AuthoritativeServers = new[] { current.Address }, Custom = new[] { new { Name = "r0", current.Address, Region = "Europe" } } },
        Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
    };

    [Fact]
    public async Task Previous_servers_answering_the_source_after_the_switch_hold_propagation_until_the_old_zone_is_updated()
    {
        await using var old = await Nsd.StartAsync("example.test", Child("old-dns", Source));
        await using var current = await Nsd.StartAsync("example.test", Child("new-dns", Target));
        await using var parent = await Nsd.StartAsync("test", []);
        await parent.SetZoneAsync(Parent("new-dns", current));
        await using var bridge = await BridgeHost.StartAsync(Config(current, parent, [old.Address]));
        var detector = bridge.Services.GetRequiredService<DrainDetector>();
        var view = bridge.Services.GetRequiredService<IPropagationView>();

        await WaitAsync(() => detector.Status("shop")!.PreviousNameServersStaleAt is not null, "previous_nameservers_stale");
        var status = detector.Status("shop")!;
        Assert.Equal(DrainState.Propagating, status.State);
        Assert.Equal(status.DnsSwitchedAt!.Value.AddSeconds(172800), status.StaleUntil);
        var events = bridge.Services.GetRequiredService<IEventStore>().Events("shop");
        Assert.Contains(events, e => e.Event == EventNames.DnsSwitched);
        Assert.Contains(events, e => e.Event == EventNames.PreviousNameServersStale && e.Text.Contains("update the record at the old provider too", StringComparison.Ordinal));
        Assert.Contains(bridge.Logs.Messages, m => m.Contains("previous_nameservers_stale", StringComparison.Ordinal) && m.Contains(old.Address, StringComparison.Ordinal));

        // Several more polls: still held (the resolvers all say target; only the old provider keeps it back).
        var passes = bridge.Services.GetRequiredService<PropagationMonitor>().Passes;
        await WaitAsync(() => bridge.Services.GetRequiredService<PropagationMonitor>().Passes >= passes + 2, "two more polls");
        Assert.Equal(DrainState.Propagating, detector.Status("shop")!.State);
        Assert.False(view.Latest("shop")!.Complete);
        Assert.Single(bridge.Services.GetRequiredService<IEventStore>().Events("shop"), e => e.Event == EventNames.PreviousNameServersStale);

        using var admin = bridge.CreateAdminClient();
        var api = await admin.GetStringAsync("/api/cutovers/shop");
        using (var doc = JsonDocument.Parse(api))
        {
            var block = doc.RootElement.GetProperty("propagation").GetProperty("delegation");
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "dnsbridge-delegation-api.json"), JsonSerializer.Serialize(block, Indented));
            Assert.Equal("example.test", block.GetProperty("zone").GetString());
            Assert.Equal("test", block.GetProperty("parentZone").GetString());
            Assert.Equal(172800, block.GetProperty("parentNsTtl").GetInt32());
            Assert.Equal(["ns1.new-dns.test"], block.GetProperty("parentNameServers").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["ns1.new-dns.test"], block.GetProperty("currentNameServers").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([old.Address], block.GetProperty("previousNameServers").EnumerateArray().Select(e => e.GetString()));
            Assert.False(block.GetProperty("nsSetsDiffer").GetBoolean());
            Assert.Equal(status.DnsSwitchedAt.Value.AddSeconds(172800), block.GetProperty("oldDelegationCachedUntil").GetDateTimeOffset());
            var previous = Assert.Single(block.GetProperty("previous").EnumerateArray());
            Assert.Equal("source", previous.GetProperty("answer").GetString());
            Assert.Equal([Source], previous.GetProperty("addresses").EnumerateArray().Select(e => e.GetString()));
        }

        var report = await admin.GetStringAsync("/api/cutovers/shop/report?format=md");
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "dnsbridge-delegation-report.md"), report);
        Assert.Contains("## Delegation: what the previous name servers answer", report, StringComparison.Ordinal);
        Assert.Contains($"Resolvers that cached the old delegation may ask the previous servers until {status.DnsSwitchedAt.Value.AddSeconds(172800):yyyy-MM-dd HH:mm:ss} UTC", report, StringComparison.Ordinal);
        Assert.Contains($"| {old.Address} | {old.Address} | source | {Source} |", report, StringComparison.Ordinal);

        // The status page's delegation box, rendered by a real browser from the same API.
        var (dom, _) = await Chromium.DumpDomAsync(new Uri(bridge.AdminUri, "/cutovers/shop"), virtualTimeMs: 2_000);
        Assert.Contains("<h3>Delegation (DNS provider move)</h3>", dom, StringComparison.Ordinal);
        Assert.Contains($"Resolvers that cached the old delegation may ask the previous servers until <strong>{status.DnsSwitchedAt.Value.AddSeconds(172800):yyyy-MM-dd HH:mm:ss} UTC</strong>", dom, StringComparison.Ordinal);
        Assert.Contains($"<td>{old.Address}</td><td class=\"answer-source\">source</td><td>{Source}</td>", dom, StringComparison.Ordinal);

        // The old provider's copy is updated too: its answer is the target, and propagation completes.
        await old.SetZoneAsync(Child("old-dns", Target));
        await WaitAsync(() => detector.Status("shop")!.State != DrainState.Propagating, "propagation_complete");
        Assert.Equal(DrainState.Draining, detector.Status("shop")!.State);
        Assert.Equal(ResolverAnswer.Target, Assert.Single(view.Latest("shop")!.Delegation!.Previous).Answer);
    }

    [Fact]
    public async Task Without_previous_servers_the_first_NS_set_is_remembered_and_a_different_one_after_a_reload_is_a_move()
    {
        await using var old = await Nsd.StartAsync("example.test", Child("old-dns", Source));
        await using var current = await Nsd.StartAsync("example.test", Child("new-dns", Target));
        await using var parent = await Nsd.StartAsync("test", []);
        await parent.SetZoneAsync(Parent("old-dns", old));
        await using var bridge = await BridgeHost.StartAsync(Config(old, parent, []));
        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var store = bridge.Services.GetRequiredService<IDelegationStore>();

        await WaitAsync(() => store.Remembered("shop") is not null, "the NS set remembered");
        Assert.Equal([$"{old.Address} {old.Address}"], store.Remembered("shop")!.Servers);
        Assert.Null(view.Latest("shop")!.Delegation);

        // The move: the parent now delegates to the new provider and the config names its server.
        await parent.SetZoneAsync(Parent("new-dns", current));
        Assert.True(await bridge.EditConfigAsync(Config(current, parent, [])));
        await WaitAsync(() => view.Latest("shop")?.Delegation is not null, "a delegation move");
        var delegation = view.Latest("shop")!.Delegation!;
        Assert.Equal(DelegationSnapshot.FromRemembered, delegation.PreviousFrom);
        Assert.Equal([old.Address], delegation.PreviousNameServers);
        Assert.Equal(ResolverAnswer.Source, Assert.Single(delegation.Previous).Answer);
        Assert.Equal(["ns1.new-dns.test"], delegation.ParentNameServers);
        Assert.Equal(172800, delegation.ParentNsTtl);
        var detector = bridge.Services.GetRequiredService<DrainDetector>();
        await WaitAsync(() => detector.Status("shop")!.PreviousNameServersStaleAt is not null, "previous_nameservers_stale");
        Assert.True(DrainState.Propagating == detector.Status("shop")!.State, string.Join("\n", bridge.Services.GetRequiredService<IEventStore>().Events("shop").Select(e => $"{e.At:O} {e.Event} {e.Text}")) + "\n" + bridge.Logs.AllText);
    }

    internal static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no {what} within 30 s");
            }

            await Task.Delay(100);
        }
    }
}
