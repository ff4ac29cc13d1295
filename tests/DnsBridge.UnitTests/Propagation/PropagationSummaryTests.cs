using System.Net;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Propagation;

public sealed class PropagationSummaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static ResolverResult R(string name, ResolverAnswer answer, int? ttl = 60, bool authoritative = false, int secondsAgo = 0) => new(
        new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "r", "op", authoritative), answer, [], [], ttl, null, null, Now.AddSeconds(-secondsAgo), TimeSpan.Zero);

    [Fact]
    public void The_ratio_counts_answering_resolvers_only()
    {
        var s = PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("b", ResolverAnswer.Source), R("c", ResolverAnswer.Error), R("d", ResolverAnswer.Target), R("e", ResolverAnswer.Other)]);
        Assert.Equal(0.5, s.Ratio);
        Assert.False(s.Complete);
    }

    [Fact]
    public void Complete_needs_every_answering_resolver_on_target_and_the_authoritative_switch()
    {
        Assert.True(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("b", ResolverAnswer.Error)]).Complete);
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("ns", ResolverAnswer.Source, authoritative: true)]).Complete);
        Assert.True(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("ns", ResolverAnswer.Target, authoritative: true)]).Complete);
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Error)]).Complete);
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Mixed)]).Complete);
    }

    [Fact]
    public void Authoritative_servers_that_all_fail_leave_completeness_to_the_resolvers()
    {
        var silent = PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("ns1", ResolverAnswer.Error, authoritative: true), R("ns2", ResolverAnswer.Error, authoritative: true)]);
        Assert.Equal(ResolverAnswer.Error, silent.Authoritative);
        Assert.True(silent.AuthoritativeUnreachable);
        Assert.True(silent.Complete);
        Assert.Equal(["ns1", "ns2"], silent.UnreachableAuthoritativeServers.Select(r => r.Resolver.Name));
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Source), R("ns1", ResolverAnswer.Error, authoritative: true)]).Complete);
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target)]).AuthoritativeUnreachable);
        Assert.False(PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), R("ns1", ResolverAnswer.Target, authoritative: true), R("ns2", ResolverAnswer.Error, authoritative: true)]).AuthoritativeUnreachable);
    }

    [Fact]
    public void Stale_caches_expire_at_the_latest_checked_at_plus_ttl_among_stale_resolvers()
    {
        var s = PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Source, ttl: 300, secondsAgo: 100), R("b", ResolverAnswer.Mixed, ttl: 120), R("c", ResolverAnswer.Target, ttl: 3600)]);

        Assert.Equal(Now.AddSeconds(200), s.StaleUntil);
        Assert.Equal(200, s.EtaSeconds);
        Assert.Null(PropagationPoller.Summarize("c", Now, [R("c", ResolverAnswer.Target, ttl: 3600)]).StaleUntil);
    }

    [Theory]
    [InlineData(new[] { ResolverAnswer.Target, ResolverAnswer.Source }, ResolverAnswer.Source)]
    [InlineData(new[] { ResolverAnswer.Target, ResolverAnswer.Mixed }, ResolverAnswer.Mixed)]
    [InlineData(new[] { ResolverAnswer.Target, ResolverAnswer.Other }, ResolverAnswer.Other)]
    [InlineData(new[] { ResolverAnswer.Target, ResolverAnswer.Target }, ResolverAnswer.Target)]
    internal void A_resolver_is_as_stale_as_its_stalest_host(ResolverAnswer[] answers, ResolverAnswer combined) =>
        Assert.Equal(combined, PropagationPoller.Worst(answers));

    [Fact]
    public void Authoritative_servers_disagree_on_their_answer_not_on_serials_alone_nor_by_being_silent()
    {
        static ResolverResult Ns(string name, ResolverAnswer answer, long? serial, params string[] addresses) =>
            R(name, answer, authoritative: true) with { SoaSerial = serial, Addresses = addresses };
        string? Disagreement(params ResolverResult[] results) => PropagationPoller.Summarize("c", Now, [R("a", ResolverAnswer.Target), .. results]).AuthoritativeDisagreement;

        Assert.Null(Disagreement(Ns("ns1", ResolverAnswer.Target, 7, "192.0.2.1"), Ns("ns2", ResolverAnswer.Target, 7, "192.0.2.1")));
        Assert.Null(Disagreement(Ns("ns1", ResolverAnswer.Target, 7, "192.0.2.1"), Ns("ns2", ResolverAnswer.Error, null)));
        Assert.Null(Disagreement(Ns("ns1", ResolverAnswer.Target, 7, "192.0.2.1"), Ns("ns2", ResolverAnswer.Target, null, "192.0.2.1")));
        Assert.Null(Disagreement(Ns("ns1", ResolverAnswer.Target, 8, "192.0.2.1"), Ns("ns2", ResolverAnswer.Target, 1, "192.0.2.1")));
        Assert.Equal("ns1 (127.0.0.1:53) target 192.0.2.1, SOA serial 8; ns2 (127.0.0.1:53) source 198.51.100.7, SOA serial 7",
            Disagreement(Ns("ns1", ResolverAnswer.Target, 8, "192.0.2.1"), Ns("ns2", ResolverAnswer.Source, 7, "198.51.100.7")));
        Assert.Contains("ns2 (127.0.0.1:53) target 192.0.2.2, SOA serial ?", Disagreement(Ns("ns1", ResolverAnswer.Target, 7, "192.0.2.1"), Ns("ns2", ResolverAnswer.Target, null, "192.0.2.2")), StringComparison.Ordinal);
    }
}
