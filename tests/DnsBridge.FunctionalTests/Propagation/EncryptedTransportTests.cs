using System.Diagnostics;
using System.Text.Json;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// <c>check</c> against a real unbound serving plain DNS, DNS over TLS and DNS over HTTPS (test CA), recursing to
/// a real nsd that flips the zone; both configured with an NSID.
/// </summary>
public sealed class EncryptedTransportTests : IDisposable
{
    private const string Zone = "example.test";
    private const string Host = "shop.example.test";
    private const string TlsName = "dns.example.test";
    private const string Source = "198.51.100.7";
    private const string Target = "203.0.113.10";
    private readonly TestCertificates _certificates = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("dnsbridge-encrypted").FullName;

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await DnsBridgeCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static Dictionary<string, JsonElement> ByResolver(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("resolvers").EnumerateArray().ToDictionary(r => r.GetProperty("resolver").GetString()!, r => r.Clone());
    }

    [Fact]
    public async Task Rows_over_tls_and_https_classify_like_udp_ones_show_the_nsid_and_follow_the_zone_flip()
    {
        await using var nsd = await Nsd.StartAsync(Zone, [$"shop 2 IN A {Source}"], nsid: "nsd-ams1");
        await using var unbound = await Unbound.StartAsync(_certificates, TlsName, Zone, nsd.EndPoint, "unbound-pop1");
        var caFile = _certificates.WriteCaPem(_directory);
        var udp = unbound.Udp.ToString();
        var dot = $"tls://{unbound.Tls}#{TlsName}";
        var doh = $"https://{unbound.Https}/dns-query";
        string[] args = ["check", Host, "--expect", Target, "--source", Source, "--json", "--ca-file", caFile,
            "--resolver", udp, "--resolver", dot, "--resolver", doh, "--resolver", nsd.Address];

        var (code, output, error) = await RunAsync(args);

        Assert.True(code == 1, error + output);
        var rows = ByResolver(output);
        Assert.Equal(["udp", "dot", "doh"], new[] { udp, dot, doh }.Select(r => rows[r].GetProperty("transport").GetString()));
        Assert.All(new[] { udp, dot, doh }, r =>
        {
            Assert.Equal("source", rows[r].GetProperty("answer").GetString());
            Assert.Equal(Source, rows[r].GetProperty("addresses")[0].GetString());
            Assert.Equal("unbound-pop1", rows[r].GetProperty("pop").GetString());
            Assert.Equal("local", rows[r].GetProperty("vantage").GetString());
            Assert.InRange(rows[r].GetProperty("ttl").GetInt32(), 0, 2);
        });
        Assert.Equal("nsd-ams1", rows[nsd.Address].GetProperty("pop").GetString());

        await nsd.SetZoneAsync([$"shop 2 IN A {Target}"]);

        // The cached answer lives 2 s: every transport must give the target soon after, each judged the same way.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            (code, output, error) = await RunAsync(args);
            if (code == 0 || deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(code == 0, error + output);
        rows = ByResolver(output);
        Assert.All(new[] { udp, dot, doh }, r => Assert.Equal("target", rows[r].GetProperty("answer").GetString()));
    }

    [Fact]
    public async Task Doh_through_a_real_http_proxy_reaches_the_resolver_and_never_goes_around_a_dead_proxy()
    {
        await using var nsd = await Nsd.StartAsync(Zone, [$"shop 300 IN A {Target}"]);
        await using var unbound = await Unbound.StartAsync(_certificates, TlsName, Zone, nsd.EndPoint, "unbound-pop1");
        var proxy = await Tinyproxy.StartAsync(unbound.Https.Port);
        var caFile = _certificates.WriteCaPem(_directory);
        var doh = $"https://{unbound.Https}/dns-query";
        string[] args = ["check", Host, "--expect", Target, "--json", "--timeout", "2", "--ca-file", caFile,
            "--http-proxy", proxy.Url, "--resolver", doh];
        try
        {
            // The DoH row is the only way out, as at a site whose firewall blocks port 53 and lets HTTPS through its proxy.
            var (code, output, error) = await RunAsync(args);

            Assert.True(code == 0, error + output);
            var row = ByResolver(output)[doh];
            Assert.Equal("doh", row.GetProperty("transport").GetString());
            Assert.Equal("target", row.GetProperty("answer").GetString());
            Assert.Equal("unbound-pop1", row.GetProperty("pop").GetString());
            Assert.Contains($"CONNECT {unbound.Https} HTTP/1.1", await proxy.LogAsync());
        }
        finally
        {
            await proxy.DisposeAsync();
        }

        // Proxy gone: the row is an error, not a direct connection that the site's firewall would not allow.
        var (downCode, downOutput, downError) = await RunAsync(args);
        Assert.True(downCode == 3, downError + downOutput);
        Assert.Equal("network", ByResolver(downOutput)[doh].GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_certificate_not_valid_for_the_tls_name_is_an_error_and_never_falls_back_to_plain_dns()
    {
        await using var nsd = await Nsd.StartAsync(Zone, [$"shop 300 IN A {Target}"]);
        await using var unbound = await Unbound.StartAsync(_certificates, TlsName, Zone, nsd.EndPoint, "unbound-pop1");
        var caFile = _certificates.WriteCaPem(_directory);
        var wrongName = $"tls://{unbound.Tls}#other.example.test";
        var untrusted = $"tls://{unbound.Tls}#{TlsName}";

        var (code, output, error) = await RunAsync("check", Host, "--expect", Target, "--json", "--timeout", "1",
            "--ca-file", caFile, "--resolver", wrongName, "--resolver", unbound.Udp.ToString());
        Assert.True(code == 0, error + output);
        var rows = ByResolver(output);
        Assert.Equal("error", rows[wrongName].GetProperty("answer").GetString());
        Assert.Equal("network", rows[wrongName].GetProperty("error").GetString());

        // Without the CA file the test CA is not trusted: the right name alone is not enough.
        (code, output, error) = await RunAsync("check", Host, "--expect", Target, "--json", "--timeout", "1", "--resolver", untrusted);
        Assert.True(code == 3, error + output);
        Assert.Equal("network", ByResolver(output)[untrusted].GetProperty("error").GetString());
    }

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
