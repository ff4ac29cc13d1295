using System.Net;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.UnitTests.Admin;

/// <summary>One resolver result of each kind the outputs must show: answered (target, source), NXDOMAIN, NODATA, timeout, stale cache.</summary>
internal static class ResolverRowsFixture
{
    public static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ResolverInfo Google = new("Google", new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53), "North America", "Google", Authoritative: false, new ResolverLocation("Mountain View", 37.42, -122.08))
    {
        Subnet = ClientSubnet.TryParse("203.0.113.0/24", out var subnet) ? subnet : null,
        SubnetName = "office",
    };

    private static readonly ResolverInfo Quad9 = new("Quad9", new IPEndPoint(IPAddress.Parse("9.9.9.9"), 53), "Europe", "Quad9", Authoritative: false);

    private static readonly ResolverInfo Ns1 = new("ns1.example.com", new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), "authoritative", "authoritative", Authoritative: true);

    public static ResolverResult Target => new(Google, ResolverAnswer.Target, ["198.51.100.7"], ["edge.example.net"], 300, null, null, At, TimeSpan.FromMilliseconds(12.34))
    {
        Pop = "fra",
        SubnetScope = 24,
    };

    public static ResolverResult StaleSource => new(Quad9, ResolverAnswer.Source, ["192.0.2.10"], [], 3540, null, null, At, TimeSpan.FromMilliseconds(40.06)) { IgnoresClientSubnet = true };

    public static ResolverResult NxDomain => new(Quad9, ResolverAnswer.Other, [], [], 60, null, "NXDOMAIN", At, TimeSpan.FromMilliseconds(8));

    public static ResolverResult NoData => new(Ns1, ResolverAnswer.Other, [], [], null, null, "NODATA", At, TimeSpan.FromMilliseconds(3), SoaSerial: 2026030101);

    public static ResolverResult Timeout => new(Quad9, ResolverAnswer.Error, [], [], null, "timeout", "no answer within 2 s", At, TimeSpan.FromSeconds(2));

    /// <summary>A check's snapshot: one resolver row and one previous server, each kind of output row once.</summary>
    public static PropagationSnapshot Snapshot => new PropagationSnapshot("www", At, [Target], ResolverAnswer.Target, 1, null, Complete: true)
        .WithDelegation(new DelegationSnapshot("example.com", "com", ["192.5.6.30:53"], ["ns1.example.com"], 172800, null, ["ns1.example.com"], ["ns1.old-dns.net"], DelegationSnapshot.FromConfig, [NxDomain]), At);
}
