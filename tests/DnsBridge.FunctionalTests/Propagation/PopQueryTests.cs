using System.Text.RegularExpressions;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// Resolvers that send no NSID but answer the operator's identification question: a real unbound and a real nsd
/// configured with an identity only. The monitor fills <c>pop</c> from <c>CH TXT id.server</c> where the resolver's
/// row says so, never for a row that does not, and asks it once per ten intervals, not every pass.
/// </summary>
public sealed partial class PopQueryTests : IDisposable
{
    private const string Zone = "example.test";
    private const string Host = "shop.example.test";
    private const string Target = "203.0.113.10";
    private readonly TestCertificates _certificates = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("dnsbridge-popquery").FullName;

    [GeneratedRegex(@"id\.server\. TXT CH")]
    private static partial Regex IdServerQuestion();

    [GeneratedRegex(@"shop\.example\.test\. A IN")]
    private static partial Regex RowQuestion();

    [Fact]
    public async Task Without_nsid_the_identification_question_fills_the_pop_only_where_configured_and_is_cached()
    {
        await using var nsd = await Nsd.StartAsync(Zone, [$"shop 300 IN A {Target}"], identity: "nsd-ams3");
        await using var unbound = await Unbound.StartAsync(_certificates, "dns.example.test", Zone, nsd.EndPoint, nsid: null, identity: "unbound-fra2", logQueries: true);
        var caFile = _certificates.WriteCaPem(_directory);
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new
                {
                    Name = "shop",
                    Hosts = new[] { Host },
                    Target = new { Address = Target, Port = 9, Scheme = "http" },
                    SourceAddresses = new[] { "198.51.100.7" },
                    Dns = new { Types = new[] { "A" } },
                },
            },
            Resolvers = new
            {
                Preset = "none",
                Authoritative = false,
                Custom = new object[]
                {
                    new { Name = "unbound", Address = unbound.Udp.ToString(), Region = "Europe", PopQuery = "id.server" },
                    new { Name = "nsd", nsd.Address, Region = "Europe", PopQuery = "id.server" },

                    // The identification question travels like the row's own: over TLS and HTTPS too.
                    new { Name = "unbound-dot", Address = $"tls://{unbound.Tls}#dns.example.test", Region = "Europe", PopQuery = "id.server" },
                    new { Name = "unbound-doh", Address = $"https://{unbound.Https}/dns-query", Region = "Europe", PopQuery = "id.server" },

                    // The same server without PopQuery: nothing is guessed from its address.
                    new { Name = "unbound-unasked", Address = unbound.Udp.ToString(), Region = "Europe" },
                },
            },
            // A generous timeout: an identification question that times out is remembered as "no site" for ten
            // intervals, and a first DoH handshake on a loaded test machine can take longer than half a second (the
            // timeout must stay below the interval).
            Propagation = new { Enabled = true, Interval = "00:00:02", Timeout = "00:00:01.500", CaFile = caFile },
        });

        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var monitor = bridge.Services.GetRequiredService<PropagationMonitor>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        PropagationSnapshot? snapshot;
        while ((snapshot = view.Latest("shop")) is null || snapshot.Resolvers.Count < 5)
        {
            Assert.True(DateTime.UtcNow < deadline, "no snapshot with five rows");
            await Task.Delay(100);
        }

        var rows = snapshot.Resolvers.ToDictionary(r => r.Resolver.Name);
        Assert.Equal("unbound-fra2", rows["unbound"].Pop);
        Assert.Equal("unbound-fra2", rows["unbound-dot"].Pop);
        Assert.Equal("unbound-fra2", rows["unbound-doh"].Pop);
        Assert.Equal("nsd-ams3", rows["nsd"].Pop);
        Assert.Null(rows["unbound-unasked"].Pop);
        Assert.All(rows.Values, r => Assert.Equal(ResolverAnswer.Target, r.Answer));

        // Four more passes: each asks unbound the cutover's question four times (four rows), the identification question
        // never again: once per transport in all.
        var passes = monitor.Passes;
        while (monitor.Passes < passes + 4)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(20), "the monitor stopped polling");
            await Task.Delay(100);
        }

        var log = await unbound.LogAsync();
        Assert.True(RowQuestion().Count(log) >= 16, log);
        Assert.Equal(3, IdServerQuestion().Count(log));
        Assert.Equal("unbound-fra2", view.Latest("shop")!.Resolvers.Single(r => r.Resolver.Name == "unbound").Pop);
    }

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
