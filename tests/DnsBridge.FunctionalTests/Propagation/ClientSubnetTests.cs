using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// EDNS Client Subnet views against a real geo-aware server: Knot DNS with its geoip module in subnet mode answers the
/// target to Shanghai's subnet, the source to another, and the zone's default record to everyone else. Asked directly
/// (an ECS-capable server standing in for a resolver), each <c>RESOLVER@NAME</c> row must show what that subnet gets.
/// </summary>
public sealed class ClientSubnetTests
{
    private const string Zone = "example.test";
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "203.0.113.10";
    private const string Default = "192.0.2.55";
    private const string Shanghai = "101.80.0.0/16";
    private const string Elsewhere = "81.2.0.0/16";

    private static Task<Knot> StartKnotAsync() =>
        Knot.StartAsync(Zone, [$"shop 300 IN A {Default}"], Host, [(Shanghai, Target), (Elsewhere, Source)]);

    [Fact]
    public async Task Check_shows_each_subnets_answer_with_its_scope_and_the_plain_row_the_default()
    {
        await using var knot = await StartKnotAsync();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await DnsBridgeCommand.RunAsync(
            ["check", Host, "--expect", Target, "--source", Source, "--json", "--resolver", knot.Address,
             "--client-subnet", $"shanghai={Shanghai}", "--client-subnet", $"other={Elsewhere}"], stdout, stderr);

        Assert.True(code == 1, stderr.ToString() + stdout);
        using var doc = JsonDocument.Parse(stdout.ToString());
        var rows = doc.RootElement.GetProperty("resolvers").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.Clone());
        Assert.Equal(3, rows.Count);

        var shanghai = rows[$"{knot.Address}@shanghai"];
        Assert.Equal("target", shanghai.GetProperty("answer").GetString());
        Assert.Equal([Target], shanghai.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(Shanghai, shanghai.GetProperty("clientSubnet").GetString());
        Assert.Equal(16, shanghai.GetProperty("subnetScope").GetInt32());

        var other = rows[$"{knot.Address}@other"];
        Assert.Equal("source", other.GetProperty("answer").GetString());
        Assert.Equal([Source], other.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(Elsewhere, other.GetProperty("clientSubnet").GetString());
        Assert.Equal(16, other.GetProperty("subnetScope").GetInt32());

        var plain = rows[knot.Address];
        Assert.Equal("other", plain.GetProperty("answer").GetString());
        Assert.Equal([Default], plain.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("clientSubnet").ValueKind);
        Assert.False(plain.GetProperty("ignoresClientSubnet").GetBoolean());

        // The table says the same to a person: subnet and scope beside each row.
        using var table = new StringWriter();
        await DnsBridgeCommand.RunAsync(
            ["check", Host, "--expect", Target, "--source", Source, "--resolver", knot.Address, "--client-subnet", $"shanghai={Shanghai}"], table, new StringWriter());
        Assert.Contains($"{Shanghai} scope /16", table.ToString());
    }

    [Fact]
    public async Task The_monitor_asks_every_configured_subnet_and_counts_each_subnet_row_in_the_ratio()
    {
        await using var knot = await StartKnotAsync();
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new
                {
                    Name = "shop",
                    Hosts = new[] { Host },
                    Target = new { Address = Target, Port = 9, Scheme = "http" },
                    SourceAddresses = new[] { Source },
                    Dns = new { Types = new[] { "A" }, Expect = new[] { Target } },
                },
            },
            Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "knot", knot.Address, Region = "Asia" } } },
            Propagation = new
            {
                Enabled = true,
                Interval = "00:00:01",
                Timeout = "00:00:00.500",
                ClientSubnets = new[] { new { Name = "shanghai", Subnet = Shanghai }, new { Name = "other", Subnet = Elsewhere } },
            },
        });

        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        PropagationSnapshot? snapshot;
        while ((snapshot = view.Latest("shop")) is null || snapshot.Resolvers.Count < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no snapshot with three rows; last: {snapshot}");
            await Task.Delay(100);
        }

        var rows = snapshot.Resolvers.ToDictionary(r => r.Resolver.Name);
        Assert.Equal(ResolverAnswer.Other, rows["knot"].Answer);
        Assert.Equal([Default], rows["knot"].Addresses);
        Assert.Equal(ResolverAnswer.Target, rows["knot@shanghai"].Answer);
        Assert.Equal((byte)16, rows["knot@shanghai"].SubnetScope);
        Assert.Equal(ResolverAnswer.Source, rows["knot@other"].Answer);
        Assert.Equal([Source], rows["knot@other"].Addresses);

        // Each subnet row counts as a resolver of its own: clients in the other subnet still go to the source.
        Assert.False(snapshot.Complete);
        Assert.Equal(1 / 3.0, snapshot.Ratio, 3);
    }
}
