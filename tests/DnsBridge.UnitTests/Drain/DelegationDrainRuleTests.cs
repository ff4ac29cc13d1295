using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;

namespace DnsBridge.UnitTests.Drain;

/// <summary>
/// The delegation rule on the pure state machine: propagation is not complete while a previous (old provider's) server
/// answers the source and an old delegation may still be cached (switch time + parent NS TTL); the ETA runs to the end
/// of that window; <c>previous_nameservers_stale</c> is raised once.
/// </summary>
public sealed class DelegationDrainRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly CutoverConfig Cutover = new()
    {
        Name = "shop",
        Hosts = ["shop.example.test"],
        Target = new TargetConfig { Address = "203.0.113.10", Port = 443 },
    };

    private static ResolverResult R(string name, ResolverAnswer answer, bool authoritative = false) => new(
        new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "Europe", "op", authoritative), answer, [], [], 300, null, null, Now, TimeSpan.Zero);

    /// <summary>Every resolver and the authoritative server on target; the previous servers answer as given.</summary>
    private static PropagationSnapshot Poll(int? parentTtl, params ResolverAnswer[] previous) => PropagationPoller.Summarize("shop", Now,
            [R("r0", ResolverAnswer.Target), R("ns", ResolverAnswer.Target, authoritative: true)])
        .WithDelegation(previous.Length == 0 ? null : new DelegationSnapshot("example.test", "test", ["192.0.2.1:53"], ["ns1.new.test"], parentTtl, null, ["ns1.new.test"], ["ns1.old.test"],
            DelegationSnapshot.FromConfig, [.. previous.Select((a, i) => R($"old{i}", a, authoritative: true))]), null);

    private static DrainStatus Propagating(TimeSpan sinceSwitch, DateTimeOffset? staleRaised = null) =>
        new() { State = DrainState.Propagating, Since = Now - sinceSwitch, DnsSwitchedAt = Now - sinceSwitch, PreviousNameServersStaleAt = staleRaised };

    internal static TheoryData<string, DrainStatus, PropagationSnapshot, DrainState, string?, DateTimeOffset?> Rules() => new()
    {
        // name, status, poll, next state, event, StaleUntil after the step
        { "no previous servers: complete as before", Propagating(TimeSpan.FromHours(1)), Poll(172800), DrainState.Draining, EventNames.PropagationComplete, null },
        { "previous servers answer the target: complete", Propagating(TimeSpan.FromHours(1)), Poll(172800, ResolverAnswer.Target, ResolverAnswer.Target), DrainState.Draining, EventNames.PropagationComplete, null },
        { "a previous server answers the source within the parent TTL: raised once, held", Propagating(TimeSpan.FromHours(1)), Poll(172800, ResolverAnswer.Target, ResolverAnswer.Source), DrainState.Propagating, EventNames.PreviousNameServersStale, Now.AddHours(47) },
        { "already raised: held without a second event, ETA at switch + parent TTL", Propagating(TimeSpan.FromHours(1), Now.AddMinutes(-30)), Poll(172800, ResolverAnswer.Source), DrainState.Propagating, null, Now.AddHours(47) },
        { "mixed counts as the source", Propagating(TimeSpan.FromHours(1), Now.AddMinutes(-30)), Poll(3600 * 2, ResolverAnswer.Mixed), DrainState.Propagating, null, Now.AddHours(1) },
        { "the parent TTL has passed: the old delegation is gone, complete", Propagating(TimeSpan.FromHours(49)), Poll(172800, ResolverAnswer.Source), DrainState.Draining, EventNames.PropagationComplete, null },
        { "parent TTL unknown: two days assumed", Propagating(TimeSpan.FromHours(47), Now.AddHours(-1)), Poll(null, ResolverAnswer.Source), DrainState.Propagating, null, Now.AddHours(1) },
        { "a silent previous server does not hold", Propagating(TimeSpan.FromHours(1)), Poll(172800, ResolverAnswer.Error), DrainState.Draining, EventNames.PropagationComplete, null },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    internal void Previous_servers_on_the_source_hold_propagation_while_old_delegations_may_be_cached(
        string name, DrainStatus status, PropagationSnapshot poll, DrainState next, string? raised, DateTimeOffset? staleUntil)
    {
        var step = DrainStateMachine.Step(Cutover, status, new DrainInput(poll, 0, null), Now);

        Assert.True((step?.Status.State ?? status.State) == next, name);
        Assert.Equal(raised, step?.Event);
        Assert.Equal(staleUntil, (step?.Status ?? status).StaleUntil);
        if (raised == EventNames.PreviousNameServersStale)
        {
            Assert.Equal(Now, step!.Status.PreviousNameServersStaleAt);
            Assert.Contains("old1 (127.0.0.1:53)", step.Text, StringComparison.Ordinal);
            Assert.Contains("until 2026-11-26 11:00:00 UTC (parent NS TTL 172800 s)", step.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Before_the_switch_previous_servers_on_the_source_are_normal_and_the_switch_then_holds()
    {
        var pending = new DrainStatus { State = DrainState.Pending, Since = Now.AddHours(-1) };
        var steps = DrainStateMachine.Advance(Cutover, pending, new DrainInput(Poll(172800, ResolverAnswer.Source), 0, null), Now);

        Assert.Equal([DrainState.Propagating, DrainState.Propagating], steps.Select(s => s.Status.State));
        Assert.Equal([EventNames.DnsSwitched, EventNames.PreviousNameServersStale], steps.Select(s => s.Event));
        Assert.Equal(Now.AddSeconds(172800), steps[^1].Status.StaleUntil);
    }

    [Theory]
    [InlineData(null, false, null)]
    [InlineData(0, true, 172800)]
    [InlineData(-49, false, null)]
    public void The_snapshot_is_not_complete_and_its_eta_covers_the_window_while_held(int? switchedHoursAgo, bool held, int? etaSeconds)
    {
        DateTimeOffset? switchedAt = switchedHoursAgo is { } h ? Now.AddHours(h) : null;
        var snapshot = PropagationPoller.Summarize("shop", Now, [R("r0", ResolverAnswer.Target), R("ns", ResolverAnswer.Target, authoritative: true)])
            .WithDelegation(Poll(172800, ResolverAnswer.Source).Delegation, switchedAt);

        Assert.Equal(!held, snapshot.Complete);
        Assert.Equal(etaSeconds ?? 0, snapshot.EtaSeconds);
        Assert.Equal(switchedAt?.AddSeconds(172800), snapshot.Delegation!.OldDelegationCachedUntil);
    }
}
