using System.Net;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>The monitor inside <c>serve</c>, following a real record flip on real dnsmasq resolvers.</summary>
public sealed class PropagationMonitorTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";

    private static object Section(IEnumerable<Dnsmasq> resolvers, Dnsmasq? authoritative, object? dns = null, string? name = null) => new
    {
        Cutovers = new[]
        {
            new
            {
                Name = name ?? "shop",
                Hosts = new[] { Host },
                Target = new { Address = Target, Port = 9, Scheme = "http" },
                SourceAddresses = new[] { Source },
                Dns = dns ?? new { Types = new[] { "A" } },
            },
        },
        Resolvers = new
        {
            Preset = "none",
            Authoritative = authoritative is not null,
            AuthoritativeServers = authoritative is null ? Array.Empty<string>() : [authoritative.Address],
            Custom = resolvers.Select((r, i) => new { Name = $"r{i}", r.Address, Region = i % 2 == 0 ? "Europe" : "Asia" }).ToArray(),
        },
        Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500", Concurrency = 8 },
    };

    private static async Task<PropagationSnapshot> WaitForAsync(BridgeHost bridge, string cutover, Func<PropagationSnapshot, bool> condition)
    {
        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var snapshot = view.Latest(cutover);
            if (snapshot is not null && condition(snapshot))
            {
                return snapshot;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no snapshot of {cutover} met the condition; last: {snapshot}");
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Follows_the_authoritative_switch_and_each_resolver_flip_until_complete()
    {
        await using var auth = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] });
        await using var r0 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 900);
        await using var r1 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, ttl: 300);
        await using var bridge = await BridgeHost.StartAsync(Section([r0, r1], auth));

        var before = await WaitForAsync(bridge, "shop", s => s.Resolvers.Count == 3);
        Assert.Equal(ResolverAnswer.Source, before.Authoritative);
        Assert.False(before.Complete);
        Assert.Equal(0, before.Ratio);
        Assert.InRange(before.EtaSeconds, 800, 900);

        await auth.SetAsync(Host, Target);
        await r0.SetAsync(Host, Target);
        var half = await WaitForAsync(bridge, "shop", s => s.Authoritative == ResolverAnswer.Target && s.Ratio == 0.5);
        Assert.False(half.Complete);
        Assert.InRange(half.EtaSeconds, 200, 300);
        Assert.Equal(ResolverAnswer.Source, Assert.Single(half.Resolvers, r => r.Resolver.Name == "r1").Answer);
        Assert.Equal(0.5, bridge.Metric("dnsbridge_dns_propagation_ratio", ("cutover", "shop")));
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("resolver", "r1"), ("region", "Asia"), ("answer", "source")));

        await r1.SetAsync(Host, Target);
        var done = await WaitForAsync(bridge, "shop", s => s.Complete);
        Assert.Equal(1, done.Ratio);
        Assert.Null(done.StaleUntil);
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_propagation_ratio", ("cutover", "shop")));
        Assert.Equal(0, bridge.Metric("dnsbridge_dns_propagation_eta_seconds", ("cutover", "shop")));
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("resolver", "r1"), ("region", "Asia"), ("answer", "target")));
        Assert.Equal(0, bridge.Metric("dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("resolver", "r1"), ("region", "Asia"), ("answer", "source")));
        Assert.True(bridge.Metric("dnsbridge_dns_query_duration_seconds_count", ("resolver", "r0")) > 0);
    }

    [Fact]
    public async Task With_one_replica_on_SQLite_snapshots_are_kept_in_memory_and_not_written_for_followers()
    {
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Source] }, 300);
        await using var bridge = await BridgeHost.StartAsync(Section([resolver], null));

        var first = await WaitForAsync(bridge, "shop", s => s.Resolvers.Count == 1);
        await WaitForAsync(bridge, "shop", s => s.At > first.At);

        Assert.Empty(bridge.Services.GetRequiredService<DnsBridge.State.IClusterStore>().Snapshots());
    }

    [Fact]
    public async Task A_target_reached_through_a_cname_chain_matches_ExpectCname()
    {
        await using var resolver = await Dnsmasq.StartAsync(
            new Dictionary<string, string[]> { ["lb-123.cloud.test"] = ["192.0.2.50"] }, 300, $"--cname={Host},lb-123.cloud.test");
        await using var bridge = await BridgeHost.StartAsync(Section([resolver], null, new { Types = new[] { "A" }, ExpectCname = new[] { "lb-123.cloud.test" } }));

        var snapshot = await WaitForAsync(bridge, "shop", s => s.Resolvers.Count == 1);

        var result = Assert.Single(snapshot.Resolvers);
        Assert.Equal(ResolverAnswer.Target, result.Answer);
        Assert.Contains("lb-123.cloud.test", result.Cnames);
        Assert.Equal(["192.0.2.50"], result.Addresses);
        Assert.True(snapshot.Complete);
    }

    [Fact]
    public async Task Types_AAAA_asks_for_AAAA_records_and_classifies_IPv6_target_and_source()
    {
        const string TargetV6 = "2001:db8::10";
        const string SourceV6 = "2001:db8::7";

        // r0 also has an A record that is neither target nor source: asking A instead would make it "other".
        await using var r0 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [TargetV6, "192.0.2.99"] }, ttl: 120);
        await using var r1 = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [SourceV6] }, ttl: 600);
        var section = System.Text.Json.JsonSerializer.SerializeToNode(Section([r0, r1], null, new { Types = new[] { "AAAA" }, Expect = new[] { TargetV6 } }))!.AsObject();
        section["Cutovers"]![0]!["SourceAddresses"] = new System.Text.Json.Nodes.JsonArray(SourceV6);
        await using var bridge = await BridgeHost.StartAsync(section);

        var snapshot = await WaitForAsync(bridge, "shop", s => s.Resolvers.Count == 2);

        var target = Assert.Single(snapshot.Resolvers, r => r.Resolver.Name == "r0");
        Assert.Equal(ResolverAnswer.Target, target.Answer);
        Assert.Equal([TargetV6], target.Addresses);
        Assert.Equal(120, target.Ttl);
        var source = Assert.Single(snapshot.Resolvers, r => r.Resolver.Name == "r1");
        Assert.Equal(ResolverAnswer.Source, source.Answer);
        Assert.Equal([SourceV6], source.Addresses);
        Assert.Equal(0.5, snapshot.Ratio);
        Assert.InRange(snapshot.EtaSeconds, 500, 600);
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_resolver_answer", ("cutover", "shop"), ("resolver", "r1"), ("region", "Asia"), ("answer", "source")));
    }

    [Fact]
    public async Task Stays_healthy_when_no_resolver_answers_and_counts_the_failures()
    {
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);
        await using var refused = new FaultyDnsServer(FaultyDnsServer.Fault.Refused);
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = Target, Port = 9, Scheme = "http" } } },
            Resolvers = new
            {
                Preset = "none",
                Authoritative = false,
                Custom = new[] { new { Name = "silent", Address = silent.EndPoint.ToString(), Region = "x" }, new { Name = "refused", Address = refused.EndPoint.ToString(), Region = "x" } },
            },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.300" },
        });

        var snapshot = await WaitForAsync(bridge, "shop", s => s.Resolvers.Count == 2);

        Assert.All(snapshot.Resolvers, r => Assert.Equal(ResolverAnswer.Error, r.Answer));
        Assert.False(snapshot.Complete);
        using var admin = bridge.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        Assert.True(bridge.Metric("dnsbridge_dns_query_failures_total", ("resolver", "silent"), ("reason", "timeout")) >= 1);
        Assert.True(bridge.Metric("dnsbridge_dns_query_failures_total", ("resolver", "refused"), ("reason", "refused")) >= 1);
    }

    [Fact]
    public async Task Propagation_Enabled_false_polls_nothing()
    {
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        var section = System.Text.Json.JsonSerializer.SerializeToNode(Section([resolver], null))!.AsObject();
        section["Propagation"] = new System.Text.Json.Nodes.JsonObject { ["Enabled"] = false, ["Interval"] = "00:00:01", ["Timeout"] = "00:00:00.500" };
        await using var bridge = await BridgeHost.StartAsync(section);

        // An enabled monitor has a snapshot when its first pass ends: three passes without one prove it polls nothing.
        var monitor = bridge.Services.GetRequiredService<PropagationMonitor>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (monitor.Passes < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the monitor's loop ran {monitor.Passes} passes");
            await Task.Delay(20);
        }

        Assert.Null(monitor.Latest("shop"));
        using var admin = bridge.CreateAdminClient();
        Assert.DoesNotContain("dnsbridge_dns_propagation_ratio{", await admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cutover_added_by_a_reload_is_polled()
    {
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        await using var bridge = await BridgeHost.StartAsync(Section([resolver], null));
        await WaitForAsync(bridge, "shop", s => s.Complete);

        await bridge.EditConfigAsync(Section([resolver], null, name: "shop2"));

        await WaitForAsync(bridge, "shop2", s => s.Complete);
        Assert.Null(bridge.Services.GetRequiredService<IPropagationView>().Latest("shop"));
    }

    [Fact]
    public async Task Authoritative_servers_that_give_different_answers_are_reported_with_their_serials_until_they_agree()
    {
        static Task<Dnsmasq> AuthoritativeAsync(string address, long serial) => Dnsmasq.StartAsync(
            new Dictionary<string, string[]> { [Host] = [address] }, 60,
            "--auth-zone=example.test", "--auth-server=ns.example.test,127.0.0.1", $"--auth-soa={serial},hostmaster.example.test");
        await using var primary = await AuthoritativeAsync(Target, 2026112502);
        await using var behind = await AuthoritativeAsync(Source, 2026112401);
        await using var twin = await AuthoritativeAsync(Target, 2026112502);
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [Target] });
        System.Text.Json.Nodes.JsonObject Watching(params Dnsmasq[] servers)
        {
            var section = System.Text.Json.JsonSerializer.SerializeToNode(Section([resolver], primary))!.AsObject();
            section["Resolvers"]!["AuthoritativeServers"] = new System.Text.Json.Nodes.JsonArray([.. servers.Select(a => (System.Text.Json.Nodes.JsonNode)a.Address)]);
            return section;
        }

        await using var bridge = await BridgeHost.StartAsync(Watching(primary, behind));

        // A secondary that missed the zone transfer: the switch is not done, and everyone is told which server lags.
        var split = await WaitForAsync(bridge, "shop", s => s.AuthoritativeDisagreement is not null);
        Assert.Equal(ResolverAnswer.Source, split.Authoritative);
        Assert.False(split.Complete);
        Assert.Contains($"auth {primary.Address} ({primary.Address}) target {Target}, SOA serial 2026112502", split.AuthoritativeDisagreement, StringComparison.Ordinal);
        Assert.Contains($"auth {behind.Address} ({behind.Address}) source {Source}, SOA serial 2026112401", split.AuthoritativeDisagreement, StringComparison.Ordinal);
        Assert.Equal(1, bridge.Metric("dnsbridge_dns_authoritative_disagreement", ("cutover", "shop")));
        Assert.Single(bridge.Logs.Messages, m => m.Contains("authoritative servers disagree", StringComparison.Ordinal));
        using (var admin = bridge.CreateAdminClient())
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
            var propagation = doc.RootElement.GetProperty("propagation");
            Assert.Contains("2026112401", propagation.GetProperty("authoritativeDisagreement").GetString(), StringComparison.Ordinal);
            Assert.Contains(propagation.GetProperty("resolvers").EnumerateArray(), r => r.GetProperty("soaSerial").ValueKind == System.Text.Json.JsonValueKind.Number
                && r.GetProperty("soaSerial").GetInt64() == 2026112401);
        }

        // Same answers: agreement, and the switch is complete.
        await bridge.EditConfigAsync(Watching(primary, twin));
        var agreed = await WaitForAsync(bridge, "shop", s => s.AuthoritativeDisagreement is null && s.Complete);
        Assert.All(agreed.Resolvers.Where(r => r.Resolver.Authoritative), r => Assert.Equal(2026112502, r.SoaSerial));
        Assert.Equal(0, bridge.Metric("dnsbridge_dns_authoritative_disagreement", ("cutover", "shop")));
        Assert.Contains(bridge.Logs.Messages, m => m.Contains("authoritative servers agree again", StringComparison.Ordinal));
    }
}
