using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Residual;

namespace DnsBridge.UnitTests.Residual;

/// <summary><c>Drain.Exclude</c>: which requests are health checks, monitors or internal clients, and why.</summary>
public sealed class ExclusionRulesTests
{
    private static readonly ExclusionRules Rules = new(new ExcludeConfig
    {
        Paths = ["/healthz"],
        UserAgents = ["ELB-HealthChecker*", "kube-probe/?.*", "*Pingdom*"],
        ClientCidrs = ["10.0.0.0/8", "2001:db8::/32"],
    });

    private static readonly IPAddress Outside = IPAddress.Parse("203.0.113.9");

    [Theory]
    [InlineData("ELB-HealthChecker/2.0")]
    [InlineData("elb-healthchecker/1.0")]
    [InlineData("kube-probe/1.29")]
    [InlineData("Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4)")]
    public void User_agent_globs_exclude_case_insensitively(string agent) =>
        Assert.Equal("user_agent", Rules.Match("/", agent, Outside));

    [Theory]
    [InlineData("Mozilla/5.0")]
    [InlineData("kube-probe/12")]
    [InlineData("Some ELB-HealthChecker/2.0")]
    [InlineData("")]
    public void Other_user_agents_are_residual(string agent) => Assert.Null(Rules.Match("/", agent, Outside));

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("2001:db8::5")]
    public void Client_cidrs_exclude_v4_v6_and_v4_mapped(string client) =>
        Assert.Equal("client", Rules.Match("/", "Mozilla/5.0", IPAddress.Parse(client)));

    [Theory]
    [InlineData("11.0.0.1")]
    [InlineData("2001:db9::5")]
    public void Clients_outside_the_cidrs_are_residual(string client) =>
        Assert.Null(Rules.Match("/", "Mozilla/5.0", IPAddress.Parse(client)));

    [Fact]
    public void The_first_matching_rule_names_the_reason_path_then_user_agent_then_client()
    {
        var internalClient = IPAddress.Parse("10.1.2.3");
        Assert.Equal("path", Rules.Match("/healthz", "ELB-HealthChecker/2.0", internalClient));
        Assert.Equal("user_agent", Rules.Match("/", "ELB-HealthChecker/2.0", internalClient));
        Assert.Equal("client", Rules.Match("/", null, internalClient));
    }

    [Fact]
    public void A_connection_has_no_path_or_agent_and_only_the_client_rule_applies()
    {
        Assert.Equal("client", Rules.Match(null, null, IPAddress.Parse("10.9.9.9")));
        Assert.Null(Rules.Match(null, null, Outside));
        Assert.Null(Rules.Match(null, null, null));
    }

    [Fact]
    public void No_rules_exclude_nothing()
    {
        var none = new ExclusionRules(new ExcludeConfig());
        Assert.True(none.IsEmpty);
        Assert.Null(none.Match("/healthz", "ELB-HealthChecker/2.0", IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void A_hostile_agent_against_a_star_heavy_glob_is_answered_at_once()
    {
        var rules = new ExclusionRules(new ExcludeConfig { UserAgents = ["*a*a*a*a*a*a*a*b"] });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(rules.Match("/", new string('a', 16 * 1024), Outside));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }
}
