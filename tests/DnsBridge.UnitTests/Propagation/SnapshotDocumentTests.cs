using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>
/// The leader stores each snapshot as a document that followers read back: every kind of row (DoT, DoH, client
/// subnet, located) must survive the trip, or a follower's API and status page go blank.
/// </summary>
public sealed class SnapshotDocumentTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_snapshot_with_encrypted_subnet_and_located_rows_reads_back_the_same()
    {
        Assert.True(ResolverAddress.TryParse("tls://127.0.0.53:853#dns.example.test", null, out var dot, out _));
        Assert.True(ResolverAddress.TryParse("https://doh.example.test:8443/dns-query", "127.0.0.54", out var doh, out _));
        Assert.True(ClientSubnet.TryParse("101.80.0.0/16", out var subnet));
        var plain = new ResolverInfo("google", new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53), "americas", "Google", Authoritative: false, new ResolverLocation("Mountain View", 37.4, -122.1));
        var rows = new[]
        {
            Row(plain, ResolverAnswer.Target) with { Pop = "fra1" },
            Row(plain with { Subnet = subnet, SubnetName = "shanghai" }, ResolverAnswer.Source) with { SubnetScope = 16 },
            Row(ResolverInfo.Reached("dot", dot, "custom", "custom"), ResolverAnswer.Target),
            Row(ResolverInfo.Reached("doh", doh, "custom", "custom"), ResolverAnswer.Error) with { IgnoresClientSubnet = true },
        };
        var snapshot = new PropagationSnapshot("shop", At, rows, ResolverAnswer.Target, 0.5, At.AddMinutes(5), Complete: false);

        var read = SnapshotDocument.Read(SnapshotDocument.Write(snapshot));

        Assert.NotNull(read);
        Assert.Equal(["8.8.8.8:53", "8.8.8.8:53", "tls://127.0.0.53:853#dns.example.test", "https://doh.example.test:8443/dns-query"], read.Resolvers.Select(r => r.Resolver.Address));
        Assert.Equal([ResolverAddress.Udp, ResolverAddress.Udp, ResolverAddress.Dot, ResolverAddress.Doh], read.Resolvers.Select(r => r.Resolver.Via.Transport));
        Assert.Equal("fra1", read.Resolvers[0].Pop);
        Assert.Equal("Mountain View", read.Resolvers[0].Resolver.Location?.City);
        Assert.Equal(subnet, read.Resolvers[1].Resolver.Subnet);
        Assert.Equal("shanghai", read.Resolvers[1].Resolver.SubnetName);
        Assert.Equal(16, read.Resolvers[1].SubnetScope);
        Assert.True(read.Resolvers[3].IgnoresClientSubnet);
        Assert.Equal(snapshot.Ratio, read.Ratio);
    }

    [Fact]
    public void A_document_that_is_not_a_snapshot_reads_as_none()
    {
        Assert.Null(SnapshotDocument.Read("""{"resolvers":[{"resolver":{"via":{"odd":1}}}]}"""));
    }

    private static ResolverResult Row(ResolverInfo resolver, ResolverAnswer answer) =>
        new(resolver, answer, ["192.0.2.10"], [], 300, null, null, At, TimeSpan.FromMilliseconds(12));
}
