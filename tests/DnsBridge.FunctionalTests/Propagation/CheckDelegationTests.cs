using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary><c>check --previous-ns</c> on real NSD servers: the old provider, the new one, and the parent zone.</summary>
public sealed class CheckDelegationTests
{
    private const string Host = "shop.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "127.0.0.2";

    [Fact]
    public async Task Check_shows_the_delegation_and_fails_while_a_previous_server_answers_the_source()
    {
        await using var old = await Nsd.StartAsync("example.test", DelegationTests.Child("old-dns", Source));
        await using var current = await Nsd.StartAsync("example.test", DelegationTests.Child("new-dns", Target));
        await using var parent = await Nsd.StartAsync("test", []);
        await parent.SetZoneAsync(DelegationTests.Parent("new-dns", current));
        string[] args = ["check", Host, "--resolver", current.Address, "--expect", Target, "--source", Source, "--previous-ns", old.Address, "--parent-ns", parent.Address, "--timeout", "0.5"];

        using var stdout = new StringWriter();
        Assert.Equal(ExitCodes.Failed, await DnsBridgeCommand.RunAsync([.. args, "--json"], stdout, TextWriter.Null));
        using (var doc = JsonDocument.Parse(stdout.ToString()))
        {
            var delegation = doc.RootElement.GetProperty("delegation");
            Assert.Equal(172800, delegation.GetProperty("parentNsTtl").GetInt32());
            Assert.Equal("ns1.new-dns.test", Assert.Single(delegation.GetProperty("parentNameServers").EnumerateArray()).GetString());
            Assert.Equal("ns1.new-dns.test", Assert.Single(delegation.GetProperty("currentNameServers").EnumerateArray()).GetString());
            var previous = Assert.Single(delegation.GetProperty("previous").EnumerateArray());
            Assert.Equal("source", previous.GetProperty("answer").GetString());
            Assert.True(delegation.GetProperty("previousAnswersSource").GetBoolean());
        }

        using var table = new StringWriter();
        Assert.Equal(ExitCodes.Failed, await DnsBridgeCommand.RunAsync(args, table, TextWriter.Null));
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "dnsbridge-delegation-check.txt"), table.ToString());
        Assert.Contains("delegation of example.test at test: ns1.new-dns.test, NS TTL 172800 s", table.ToString(), StringComparison.Ordinal);
        Assert.Contains($"  {old.Address} ({old.Address}): source {Source}", table.ToString(), StringComparison.Ordinal);
        Assert.Contains("resolvers that cached the old delegation may ask the previous servers until", table.ToString(), StringComparison.Ordinal);

        await old.SetZoneAsync(DelegationTests.Child("old-dns", Target));
        Assert.Equal(ExitCodes.Ok, await DnsBridgeCommand.RunAsync(args, TextWriter.Null, TextWriter.Null));
    }

    [Theory]
    [InlineData("--previous-ns", "not a server!", "--previous-ns not a server!: must be IP, IP:PORT, [IPv6]:PORT or a name server's host name")]
    [InlineData("--parent-ns", "a.gtld-servers.net", "--parent-ns a.gtld-servers.net: must be IP, IP:PORT or [IPv6]:PORT")]
    public async Task Bad_delegation_options_are_usage_errors(string option, string value, string message)
    {
        using var stderr = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await DnsBridgeCommand.RunAsync(["check", Host, "--expect", Target, option, value], TextWriter.Null, stderr));
        Assert.Contains(message, stderr.ToString(), StringComparison.Ordinal);
    }
}
