using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Preflight;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Preflight;

namespace DnsBridge.FunctionalTests.Preflight;

/// <summary>
/// The DNS rows of the checklist against real dnsmasq servers on loopback: authoritative ones for the zone
/// (with their own SOA serials and TTLs) and recursive ones, with a closed port standing in for a resolver that
/// cannot be reached.
/// </summary>
public sealed class PreflightDnsTests
{
    private const string Zone = "example.test";
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.1";

    /// <summary>An authoritative dnsmasq for <see cref="Zone"/> with the given SOA serial and TTL.</summary>
    private static Task<Dnsmasq> AuthoritativeAsync(IDictionary<string, string[]> records, int ttl = 60, long serial = 2026112501, params string[] extra) =>
        Dnsmasq.StartAsync(records, ttl, [$"--auth-zone={Zone}", $"--auth-server=ns.{Zone},127.0.0.1", $"--auth-soa={serial},hostmaster.{Zone}", $"--auth-ttl={ttl}", .. extra]);

    private static Dictionary<string, string[]> Record(params string[] addresses) => new() { [Host] = addresses };

    private static DnsBridgeConfig Config(IEnumerable<Dnsmasq> authoritative, IEnumerable<string> resolvers, bool findAuthoritative = true)
    {
        var config = new DnsBridgeConfig
        {
            Cutovers =
            [
                new CutoverConfig
                {
                    Name = "shop",
                    Hosts = [Host],
                    Target = new TargetConfig { Address = Target, Port = 443 },
                    SourceAddresses = [Source],
                    Dns = new DnsExpectationConfig { Expect = [Target] },
                },
            ],
            Resolvers = new ResolversConfig
            {
                Preset = ResolversConfig.PresetNone,
                Authoritative = findAuthoritative,
                AuthoritativeServers = [.. authoritative.Select(a => a.Address)],
                Custom = [.. resolvers.Select((r, i) => new CustomResolverConfig { Name = $"r{i}", Address = r })],
            },
            Propagation = new PropagationConfig { Timeout = TimeSpan.FromSeconds(1) },
        };
        return config;
    }

    private static async Task<IReadOnlyList<PreflightResult>> CheckAsync(DnsBridgeConfig config) =>
        await new PreflightDnsChecks(new DnsQuerier()).CheckAsync(config, config.Cutovers[0], CancellationToken.None);

    private static PreflightResult Row(IReadOnlyList<PreflightResult> results, string check) => Assert.Single(results, r => r.Check == check);

    [Fact]
    public async Task A_zone_ready_for_the_switch_passes_every_dns_row()
    {
        await using var ns1 = await AuthoritativeAsync(Record(Source), ttl: 60);
        await using var ns2 = await AuthoritativeAsync(Record(Source), ttl: 60);

        var results = await CheckAsync(Config([ns1, ns2], [ns1.Address, ns2.Address]));

        Assert.All(results, r => Assert.Equal(PreflightStatus.Pass, r.Status));
        Assert.All(results, r => Assert.Equal("dns", r.Area));
        Assert.Contains("2 of 2 authoritative servers agree: 198.51.100.7, SOA serial 2026112501", Row(results, "authoritative agreement").Found, StringComparison.Ordinal);
        Assert.StartsWith("60 s", Row(results, "record ttl").Found, StringComparison.Ordinal);
        Assert.Contains("point at the source (198.51.100.7), as expected before the switch", Row(results, "current answer").Found, StringComparison.Ordinal);
        Assert.Equal("2 of 2 recursive resolvers answer (100 %)", Row(results, "resolver coverage").Found);
    }

    [Theory]
    [InlineData(300, PreflightStatus.Pass)]
    [InlineData(3600, PreflightStatus.Warn)]
    [InlineData(172800, PreflightStatus.Fail)]
    internal async Task The_ttl_of_the_record_that_will_change_is_judged_against_5_minutes_and_a_day(int ttl, PreflightStatus expected)
    {
        await using var ns = await AuthoritativeAsync(Record(Source), ttl);

        var row = Row(await CheckAsync(Config([ns], [ns.Address])), "record ttl");

        Assert.Equal(expected, row.Status);
        Assert.StartsWith($"{ttl} s", row.Found, StringComparison.Ordinal);
        Assert.Contains("as the authoritative servers give it", row.Found, StringComparison.Ordinal);
        if (expected != PreflightStatus.Pass)
        {
            Assert.Contains("lower the TTL to 300 s", row.Action, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Authoritative_servers_with_different_serials_warn_and_with_different_answers_fail()
    {
        await using var current = await AuthoritativeAsync(Record(Source), serial: 2026112502);
        await using var behind = await AuthoritativeAsync(Record(Source), serial: 2026112401);
        await using var changed = await AuthoritativeAsync(Record(Target), serial: 2026112502);

        var serials = Row(await CheckAsync(Config([current, behind], [current.Address])), "authoritative agreement");
        Assert.Equal(PreflightStatus.Warn, serials.Status);
        Assert.Contains($"SOA serials differ: {current.Address} 2026112502, {behind.Address} 2026112401", serials.Found, StringComparison.Ordinal);
        Assert.Contains("zone transfers", serials.Action, StringComparison.Ordinal);

        var answers = Row(await CheckAsync(Config([current, changed], [current.Address])), "authoritative agreement");
        Assert.Equal(PreflightStatus.Fail, answers.Status);
        Assert.Contains($"{current.Address} 198.51.100.7; {changed.Address} 127.0.0.1", answers.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authoritative_server_that_does_not_answer_is_named()
    {
        await using var ns = await AuthoritativeAsync(Record(Source));
        var config = Config([ns], [ns.Address]);
        config = config with { Resolvers = config.Resolvers with { AuthoritativeServers = [ns.Address, "127.0.0.1:9"] } };

        var row = Row(await CheckAsync(config), "authoritative agreement");

        Assert.Equal(PreflightStatus.Warn, row.Status);
        Assert.Contains("1 of 2 authoritative servers agree", row.Found, StringComparison.Ordinal);
        Assert.Contains("1 did not answer (127.0.0.1:9", row.Found, StringComparison.Ordinal);

        config = config with { Resolvers = config.Resolvers with { AuthoritativeServers = ["127.0.0.1:9"] } };
        Assert.Equal(PreflightStatus.Fail, Row(await CheckAsync(config), "authoritative agreement").Status);
    }

    [Fact]
    public async Task Says_clearly_when_the_record_already_points_at_the_target_or_at_neither_or_does_not_exist()
    {
        await using var switched = await AuthoritativeAsync(Record(Target));
        var row = Row(await CheckAsync(Config([switched], [switched.Address])), "current answer");
        Assert.Equal(PreflightStatus.Warn, row.Status);
        Assert.Contains("ALREADY point at the target (127.0.0.1)", row.Found, StringComparison.Ordinal);

        await using var elsewhere = await AuthoritativeAsync(Record("192.0.2.99"));
        row = Row(await CheckAsync(Config([elsewhere], [elsewhere.Address])), "current answer");
        Assert.Equal(PreflightStatus.Fail, row.Status);
        Assert.Contains("neither the source (198.51.100.7) nor the target (192.0.2.99)", row.Found, StringComparison.Ordinal);
        Assert.Contains("SourceAddresses", row.Action, StringComparison.Ordinal);

        await using var missing = await AuthoritativeAsync(new Dictionary<string, string[]> { [$"other.{Zone}"] = [Source] });
        row = Row(await CheckAsync(Config([missing], [missing.Address])), "current answer");
        Assert.Equal(PreflightStatus.Fail, row.Status);
        Assert.Contains("NXDOMAIN", row.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_the_cname_chain()
    {
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { ["lb.example.test"] = [Source] }, 120, $"--cname={Host},lb.example.test");

        var results = await CheckAsync(Config([], [resolver.Address], findAuthoritative: false));

        var chain = Row(results, "cname chain");
        Assert.Equal($"{Host} → lb.example.test", chain.Found);
        Assert.Equal(PreflightStatus.Pass, Row(results, "current answer").Status);

        // Without authoritative servers the TTL comes from the resolvers' caches, and the row says so.
        Assert.Contains("as cached by the recursive resolvers", Row(results, "record ttl").Found, StringComparison.Ordinal);
        Assert.Equal(PreflightStatus.Warn, Row(results, "authoritative agreement").Status);
    }

    [Fact]
    public async Task Warns_when_fewer_than_80_percent_of_the_resolvers_answer()
    {
        await using var ns = await AuthoritativeAsync(Record(Source));
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);

        var results = await CheckAsync(Config([ns], [ns.Address, silent.EndPoint.ToString(), "127.0.0.1:9"]));

        var row = Row(results, "resolver coverage");
        Assert.Equal(PreflightStatus.Warn, row.Status);
        Assert.Contains("1 of 3 recursive resolvers answer (33 %)", row.Found, StringComparison.Ordinal);
        Assert.Contains("no answer: 2 timeout", row.Found, StringComparison.Ordinal);
        Assert.Contains("blind", row.Action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_runs_the_dns_rows_with_the_rest_and_prints_them_in_every_format()
    {
        await using var ns = await AuthoritativeAsync(Record(Source), ttl: 3600);
        var directory = Directory.CreateTempSubdirectory("dnsbridge-preflight-dns").FullName;
        try
        {
            var file = Path.Combine(directory, "dnsbridge.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
            {
                DnsBridge = new
                {
                    Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                    Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = Target, Port = 9, Scheme = "http" }, SourceAddresses = new[] { Source } } },
                    Resolvers = new { Preset = "none", AuthoritativeServers = new[] { ns.Address }, Custom = new[] { new { Name = "local", Address = ns.Address } } },
                    State = new { Path = Path.Combine(directory, "state.db") },
                },
            }));

            using var stdout = new StringWriter();
            Assert.Equal(1, await DnsBridgeCommand.RunAsync(["preflight", "--config", file, "--json"], stdout, TextWriter.Null));
            using var json = JsonDocument.Parse(stdout.ToString());
            var ttl = json.RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("check").GetString() == "record ttl");
            Assert.Equal("WARN", ttl.GetProperty("status").GetString());
            Assert.Equal("dns", ttl.GetProperty("area").GetString());
            Assert.Equal(Host, ttl.GetProperty("subject").GetString());

            using var markdown = new StringWriter();
            await DnsBridgeCommand.RunAsync(["preflight", "--config", file, "--markdown"], markdown, TextWriter.Null);
            Assert.Contains($"| WARN | shop | dns: record ttl | {Host} | 3600 s (1 h)", markdown.ToString(), StringComparison.Ordinal);
            Assert.Contains($"| PASS | shop | dns: current answer | {Host} |", markdown.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
