using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary><c>dnsbridge check</c> against real dnsmasq resolvers on loopback, and against faulty ones.</summary>
public sealed class CheckCommandTests
{
    private const string Host = "shop.example.test";

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static Dictionary<string, string[]> Record(params string[] addresses) => new() { [Host] = addresses };

    private static Dictionary<string, JsonElement> ByResolver(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("resolvers").EnumerateArray().ToDictionary(r => r.GetProperty("resolver").GetString()!, r => r.Clone());
    }

    [Fact]
    public async Task Classifies_target_source_mixed_other_and_nxdomain_answers_and_exits_1()
    {
        await using var target = await Dnsmasq.StartAsync(Record("203.0.113.10"), ttl: 120);
        await using var source = await Dnsmasq.StartAsync(Record("198.51.100.7"), ttl: 3600);
        await using var mixed = await Dnsmasq.StartAsync(Record("203.0.113.10", "198.51.100.7"));
        await using var other = await Dnsmasq.StartAsync(Record("192.0.2.99"));
        await using var nxdomain = await Dnsmasq.StartAsync(new Dictionary<string, string[]>());

        var (code, output, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--source", "198.51.100.7", "--json",
            "--resolver", target.Address, "--resolver", source.Address, "--resolver", mixed.Address, "--resolver", other.Address, "--resolver", nxdomain.Address);

        Assert.Equal(1, code);
        var results = ByResolver(output);
        Assert.Equal("target", results[target.Address].GetProperty("answer").GetString());
        Assert.Equal(120, results[target.Address].GetProperty("ttl").GetInt32());
        Assert.Equal("source", results[source.Address].GetProperty("answer").GetString());
        Assert.Equal(3600, results[source.Address].GetProperty("ttl").GetInt32());
        Assert.Equal("mixed", results[mixed.Address].GetProperty("answer").GetString());
        Assert.Equal(["198.51.100.7", "203.0.113.10"], results[mixed.Address].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("other", results[other.Address].GetProperty("answer").GetString());
        Assert.Equal("other", results[nxdomain.Address].GetProperty("answer").GetString());
        Assert.Equal("NXDOMAIN", results[nxdomain.Address].GetProperty("error").GetString());
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(Host, doc.RootElement.GetProperty("host").GetString());
        Assert.Equal(0.2, doc.RootElement.GetProperty("propagation").GetDouble());
        Assert.All(results.Values, r => Assert.Equal(
            ["name", "resolver", "region", "transport", "pop", "clientSubnet", "subnetScope", "ignoresClientSubnet", "vantage", "answer", "addresses", "ttl", "error"],
            r.EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task Exits_0_when_every_answering_resolver_gives_the_target_and_prints_a_table()
    {
        await using var a = await Dnsmasq.StartAsync(Record("203.0.113.10"));
        await using var b = await Dnsmasq.StartAsync(Record("203.0.113.10"));
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);

        var (code, output, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--timeout", "0.5",
            "--resolver", a.Address, "--resolver", b.Address, "--resolver", silent.EndPoint.ToString());

        Assert.Equal(0, code);
        Assert.Contains("RESOLVER", output, StringComparison.Ordinal);
        Assert.Contains("timeout", output, StringComparison.Ordinal);
        Assert.Contains("propagation: 100 % (2 of 2 answering resolvers give the target; 1 did not answer)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Says_when_stale_answers_expire_from_the_largest_remaining_ttl()
    {
        await using var source = await Dnsmasq.StartAsync(Record("198.51.100.7"), ttl: 600);
        await using var target = await Dnsmasq.StartAsync(Record("203.0.113.10"), ttl: 60);

        var (code, output, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--source", "198.51.100.7",
            "--resolver", source.Address, "--resolver", target.Address);

        Assert.Equal(1, code);
        Assert.Contains("old answers expire in at most 10m00s", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_kind_of_broken_resolver_is_an_error_and_none_blocks_the_others()
    {
        // Mutated answers may still parse; hostile names are a well-formed answer (the test below).
        var faults = Enum.GetValues<FaultyDnsServer.Fault>().Where(f => f is not (FaultyDnsServer.Fault.Mutated or FaultyDnsServer.Fault.HostileNames)).Select(f => new FaultyDnsServer(f)).ToList();
        try
        {
            await using var healthy = await Dnsmasq.StartAsync(Record("203.0.113.10"));
            var args = new List<string> { "check", Host, "--expect", "203.0.113.10", "--json", "--timeout", "1", "--resolver", healthy.Address };
            foreach (var fault in faults)
            {
                args.AddRange(["--resolver", fault.EndPoint.ToString()]);
            }

            var (code, output, _) = await RunAsync([.. args]);

            Assert.Equal(0, code);
            var results = ByResolver(output);
            Assert.Equal("target", results[healthy.Address].GetProperty("answer").GetString());
            var errors = faults.Select(f => results[f.EndPoint.ToString()]).ToList();
            Assert.All(errors, r => Assert.Equal("error", r.GetProperty("answer").GetString()));
            var reasons = faults.Zip(errors).ToDictionary(p => p.First, p => p.Second.GetProperty("error").GetString());
            Assert.Equal("timeout", reasons[faults[(int)FaultyDnsServer.Fault.Silent]]);
            Assert.Equal("timeout", reasons[faults[(int)FaultyDnsServer.Fault.Slow]]);
            Assert.Equal("servfail", reasons[faults[(int)FaultyDnsServer.Fault.ServFail]]);
            Assert.Equal("refused", reasons[faults[(int)FaultyDnsServer.Fault.Refused]]);
        }
        finally
        {
            foreach (var fault in faults)
            {
                await fault.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Hostile_names_in_an_answer_are_shown_in_presentation_format_and_never_reach_the_terminal()
    {
        await using var hostile = new FaultyDnsServer(FaultyDnsServer.Fault.HostileNames, "203.0.113.10");

        var (code, table, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--timeout", "1", "--resolver", hostile.EndPoint.ToString());
        (_, var json, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--timeout", "1", "--json", "--resolver", hostile.EndPoint.ToString());

        // The answer is still judged by its address; the CNAME target is one name, shown byte for byte (RFC 1035 \DDD, \.).
        Assert.Equal(0, code);
        const string Target = "\\027[31mred.a\\.b.x\\195\\169\\032.example.test";
        Assert.Contains($"target  {Target} >,203.0.113.10", table, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', table);
        Assert.DoesNotContain('\u0007', table);

        // The NSID has control bytes: shown in hex as the PoP, in the table and in JSON.
        var row = ByResolver(json)[hostile.EndPoint.ToString()];
        Assert.Equal("1b5d303b70776e656407", row.GetProperty("pop").GetString());
        Assert.Contains("1b5d303b70776e656407", table, StringComparison.Ordinal);
        Assert.Equal("target", row.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Exits_3_when_no_resolver_answers()
    {
        await using var silent = new FaultyDnsServer(FaultyDnsServer.Fault.Silent);
        var (code, output, _) = await RunAsync("check", Host, "--expect", "203.0.113.10", "--timeout", "0.3", "--resolver", silent.EndPoint.ToString());
        Assert.Equal(3, code);
        Assert.Contains("no resolver answered", output, StringComparison.Ordinal);
        Assert.DoesNotContain("stale", output, StringComparison.Ordinal);

        // Without --expect the answer is asked of the authoritative servers first, through the same silent resolver
        // (as on a machine without DNS): nothing answered, which is 3, not a usage error.
        (code, _, var errors) = await RunAsync("check", Host, "--timeout", "0.3", "--resolver", silent.EndPoint.ToString());
        Assert.Equal(3, code);
        Assert.Contains("pass --expect", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check", Host, "--expect", "not-an-ip", "--resolver", "127.0.0.1:9")]
    [InlineData("check", Host, "--expect", "203.0.113.10", "--resolver", "nowhere")]
    [InlineData("check", Host, "--expect", "203.0.113.10", "--type", "MX")]
    [InlineData("check", Host, "--expect", "203.0.113.10", "--source", "203.0.113.10", "--resolver", "127.0.0.1:9")]
    [InlineData("check", "*.example.test", "--expect", "203.0.113.10")]
    [InlineData("check")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var (code, _, errors) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Contains("error", errors, StringComparison.OrdinalIgnoreCase);
    }
}
