using System.Net;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Vantages;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>How remote vantage rows join a snapshot: fresh rows count, unreachable or stale vantages hold completion.</summary>
public sealed class VantageMergeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private static ResolverResult R(string name, ResolverAnswer answer, int? ttl = 60) => new(
        new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "r", "op", Authoritative: false), answer, [], [], ttl, null, null, Now, TimeSpan.Zero);

    private static PropagationSnapshot Local(params ResolverResult[] rows) => PropagationPoller.Summarize("shop", Now, rows);

    private static VantageState Remote(string name, TimeSpan freshAgo, params ResolverResult[] rows) => new(
        name, "https://cn.example.net:8081", new Dictionary<string, VantageCutover> { ["shop"] = new(Now - freshAgo, Now - freshAgo, rows) }, null);

    [Fact]
    public void Fresh_remote_rows_are_labelled_with_the_vantage_and_must_all_give_the_target()
    {
        var local = Local(R("google", ResolverAnswer.Target));
        Assert.True(local.Complete);

        var held = VantageMerge.Merge(local, [Remote("cn-north", TimeSpan.FromSeconds(5), R("google", ResolverAnswer.Source, ttl: 120))], Now, Interval);
        Assert.False(held.Complete);
        Assert.Equal(0.5, held.Ratio);
        Assert.Equal(Now.AddSeconds(120), held.StaleUntil);
        Assert.Equal(["local", "cn-north"], held.Resolvers.Select(r => r.Resolver.Vantage));

        var done = VantageMerge.Merge(local, [Remote("cn-north", TimeSpan.FromSeconds(5), R("google", ResolverAnswer.Target))], Now, Interval);
        Assert.True(done.Complete);
        Assert.Equal(1, done.Ratio);
    }

    [Fact]
    public void An_unreachable_vantage_is_one_error_row_that_holds_completion()
    {
        var local = Local(R("google", ResolverAnswer.Target));
        var down = Remote("cn-north", TimeSpan.Zero, R("google", ResolverAnswer.Target)) with { Error = "unreachable: Connection refused" };

        var merged = VantageMerge.Merge(local, [down], Now, Interval);

        Assert.False(merged.Complete);
        var row = Assert.Single(merged.Resolvers, r => r.Resolver.Vantage == "cn-north");
        Assert.Equal(("vantage cn-north", ResolverAnswer.Error, "unreachable: Connection refused"), (row.Resolver.Name, row.Answer, row.Error));
        Assert.True(row.VantageUnavailable);
        Assert.Equal(1, merged.Ratio);
    }

    [Fact]
    public void A_vantage_stale_for_three_intervals_holds_completion_and_one_fresh_enough_does_not()
    {
        var local = Local(R("google", ResolverAnswer.Target));

        Assert.True(VantageMerge.Merge(local, [Remote("cn", Interval * 3, R("a", ResolverAnswer.Target))], Now, Interval).Complete);

        var stale = VantageMerge.Merge(local, [Remote("cn", Interval * 3 + TimeSpan.FromSeconds(1), R("a", ResolverAnswer.Target))], Now, Interval);
        Assert.False(stale.Complete);
        Assert.StartsWith("stale: no fresh answers since", Assert.Single(stale.Resolvers, r => r.Resolver.Vantage == "cn").Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vantage_without_the_cutover_or_without_rows_holds_completion()
    {
        var local = Local(R("google", ResolverAnswer.Target));
        var other = VantageState.Empty("cn", "https://cn.example.net:8081");

        var missing = VantageMerge.Merge(local, [other], Now, Interval);
        Assert.False(missing.Complete);
        Assert.Contains("no propagation for cutover 'shop'", Assert.Single(missing.Resolvers, r => r.Resolver.Vantage == "cn").Error, StringComparison.Ordinal);

        Assert.False(VantageMerge.Merge(local, [Remote("cn", TimeSpan.Zero)], Now, Interval).Complete);
    }

    [Fact]
    public void Without_vantages_the_local_snapshot_is_unchanged()
    {
        var local = Local(R("google", ResolverAnswer.Target));
        Assert.Same(local, VantageMerge.Merge(local, [], Now, Interval));
    }
}
