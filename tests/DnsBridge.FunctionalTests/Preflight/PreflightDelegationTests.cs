using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.FunctionalTests.Propagation;
using DnsBridge.Preflight;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Preflight;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary>
/// The delegation rows of the checklist on three real NSD servers: the old provider, the new provider (already
/// switched to the target) and the parent zone delegating to the new provider with NS TTL 172800 s.
/// </summary>
public sealed class PreflightDelegationTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";

    private static DnsBridgeConfig Config(Nsd old, Nsd current, Nsd parent) => new()
    {
        Cutovers =
        [
            new CutoverConfig
            {
                Name = "shop",
                Hosts = [Host],
                Target = new TargetConfig { Address = Target, Port = 443 },
                SourceAddresses = [Source],
                Dns = new DnsExpectationConfig { Expect = [Target], PreviousNameServers = [old.Address], ParentNameServers = [parent.Address] },
            },
        ],
        Resolvers = new ResolversConfig
        {
            Preset = ResolversConfig.PresetNone,
            Authoritative = true,
            AuthoritativeServers = [current.Address],
            Custom = [new CustomResolverConfig { Name = "r0", Address = current.Address }],
        },
        Propagation = new PropagationConfig { Timeout = TimeSpan.FromSeconds(1) },
    };

    private static async Task<IReadOnlyList<PreflightResult>> CheckAsync(DnsBridgeConfig config, string paste)
    {
        var results = await new PreflightDnsChecks(new DnsQuerier()).CheckAsync(config, config.Cutovers[0], CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), $"dnsbridge-delegation-preflight-{paste}.txt"), PreflightFormatter.ToText(new PreflightReport(DateTimeOffset.UtcNow, results)));
        return results;
    }

    [Fact]
    public async Task A_previous_server_still_on_the_source_after_the_switch_fails_until_the_old_zone_is_updated()
    {
        await using var old = await Nsd.StartAsync("example.test", DelegationTests.Child("old-dns", Source));
        await using var current = await Nsd.StartAsync("example.test", DelegationTests.Child("new-dns", Target));
        await using var parent = await Nsd.StartAsync("test", []);
        await parent.SetZoneAsync(DelegationTests.Parent("new-dns", current));
        var config = Config(old, current, parent);

        var results = await CheckAsync(config, "stale");
        var previous = Assert.Single(results, r => r.Check == "previous name server");
        Assert.Equal(PreflightStatus.Fail, previous.Status);
        Assert.Equal(old.Address, previous.Subject);
        Assert.Equal($"still answers the source ({Source}) after the switch (the current servers answer {Target})", previous.Found);
        Assert.StartsWith("update the record at the old provider too, or keep the old provider's zone until the parent NS TTL has passed", previous.Action, StringComparison.Ordinal);
        var ttl = Assert.Single(results, r => r.Check == "parent ns ttl");
        Assert.Equal(PreflightStatus.Warn, ttl.Status);
        Assert.Equal("test delegates example.test to ns1.new-dns.test with NS TTL 172800 s (48 h)", ttl.Found);
        Assert.Contains($"old delegations may be cached until {DateTimeOffset.UtcNow.AddSeconds(172800):yyyy-MM-dd}", ttl.Action, StringComparison.Ordinal);
        Assert.Equal(PreflightStatus.Pass, Assert.Single(results, r => r.Check == "delegation consistency").Status);

        await old.SetZoneAsync(DelegationTests.Child("old-dns", Target));
        results = await CheckAsync(config, "updated");
        previous = Assert.Single(results, r => r.Check == "previous name server");
        Assert.Equal(PreflightStatus.Pass, previous.Status);
        Assert.Equal($"answers what the current servers answer ({Target})", previous.Found);

        // The registrar still names another server than the zone does: a lame or inconsistent delegation.
        await parent.SetZoneAsync(DelegationTests.Parent("other-dns", current));
        var consistency = Assert.Single(await CheckAsync(config, "inconsistent"), r => r.Check == "delegation consistency");
        Assert.Equal(PreflightStatus.Warn, consistency.Status);
        Assert.Contains("the parent test names ns1.other-dns.test but the zone lists ns1.new-dns.test: a lame or inconsistent delegation", consistency.Found, StringComparison.Ordinal);
    }
}
