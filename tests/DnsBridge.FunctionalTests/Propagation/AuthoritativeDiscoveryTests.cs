using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// <c>Resolvers:Authoritative: true</c> without <c>AuthoritativeServers</c>: the zone's name servers are found by NS
/// lookups through a real dnsmasq that is authoritative for <c>example.test</c> and names <c>ns1.example.test</c>,
/// whose address is a second server on its own loopback address, port 53 (where name servers are asked).
/// </summary>
public sealed class AuthoritativeDiscoveryTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";

    /// <summary>A resolver that serves the zone's NS record (ns1.example.test) and the name server's address.</summary>
    private static Task<Dnsmasq> ResolverAsync(System.Net.IPEndPoint nameServer, string answer) => Dnsmasq.StartAsync(
        new Dictionary<string, string[]> { [Host] = [answer], ["ns1.example.test"] = [nameServer.Address.ToString()] }, 300,
        "--auth-zone=example.test", "--auth-server=ns1.example.test,127.0.0.1");

    [Fact]
    public async Task The_zones_name_servers_are_found_by_NS_lookup_and_their_answer_decides_the_switch()
    {
        var at = Dnsmasq.Port53();
        await using var nameServer = await Dnsmasq.StartAtAsync(at, new Dictionary<string, string[]> { [Host] = [Target] });
        await using var resolver = await ResolverAsync(at, Source);
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = Target, Port = 9, Scheme = "http" }, SourceAddresses = new[] { Source } } },
            Resolvers = new { Preset = "none", Authoritative = true, Custom = new[] { new { Name = "r0", resolver.Address, Region = "Europe" } } },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
        });
        var detector = bridge.Services.GetRequiredService<DrainDetector>();
        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (detector.Status("shop")!.State == DrainState.Pending && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var snapshot = view.Latest("shop")!;
        var found = Assert.Single(snapshot.Resolvers, r => r.Resolver.Authoritative);
        Assert.Equal("auth ns1.example.test", found.Resolver.Name);
        Assert.Equal($"{at.Address}:53", found.Resolver.Address);
        Assert.Equal(ResolverAnswer.Target, found.Answer);
        Assert.Equal(ResolverAnswer.Target, snapshot.Authoritative);
        Assert.False(snapshot.AuthoritativeUnreachable);

        // The authoritative switch, not the resolver (still on the source), moved the cutover on.
        Assert.Equal(ResolverAnswer.Source, Assert.Single(snapshot.Resolvers, r => !r.Resolver.Authoritative).Answer);
        Assert.Equal(DrainState.Propagating, detector.Status("shop")!.State);
        var switched = Assert.Single(bridge.Services.GetRequiredService<DnsBridge.State.IEventStore>().Events("shop"));
        Assert.Equal(EventNames.DnsSwitched, switched.Event);
        Assert.Contains("the authoritative servers now answer the target", switched.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_without_expect_says_which_authoritative_servers_did_not_answer_and_exits_3()
    {
        var at = Dnsmasq.Port53();
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent, bind: at);
        await using var resolver = await ResolverAsync(at, Target);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(["check", Host, "--resolver", resolver.Address, "--timeout", "0.3", "--json"], stdout, stderr);

        Assert.Equal(3, code);
        using var doc = JsonDocument.Parse(stdout.ToString());
        Assert.True(doc.RootElement.GetProperty("authoritativeUnreachable").GetBoolean());
        var server = Assert.Single(doc.RootElement.GetProperty("authoritativeUnreachableServers").EnumerateArray());
        Assert.Equal($"{at.Address}:53", server.GetProperty("resolver").GetString());
        Assert.Equal("timeout", server.GetProperty("error").GetString());
        Assert.Contains("none of the authoritative servers", stderr.ToString(), StringComparison.Ordinal);

        using var table = new StringWriter();
        Assert.Equal(3, await DnsBridgeCommand.RunAsync(["check", Host, "--resolver", resolver.Address, "--timeout", "0.3"], table, TextWriter.Null));
        Assert.Contains($"none of the authoritative servers answered (ns1.example.test {at.Address}:53: timeout)", table.ToString(), StringComparison.Ordinal);
    }
}
