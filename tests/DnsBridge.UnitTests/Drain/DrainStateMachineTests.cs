using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Drain;

/// <summary>
/// Every transition of DESIGN.md's drain states, on the pure state machine: no host, no clock, no store.
/// (The fake-clock tests through a real DnsBridge are in the functional tests.)
/// </summary>
public sealed class DrainStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly CutoverConfig Cutover = new()
    {
        Name = "shop",
        Hosts = ["shop.example.test", "www.shop.example.test"],
        Target = new TargetConfig { Address = "203.0.113.10", Port = 443 },
        Drain = new DrainConfig { QuietPeriod = TimeSpan.FromMinutes(10), Threshold = 2 },
    };

    private static ResolverResult R(string name, ResolverAnswer answer, int ttl = 300, bool authoritative = false) => new(
        new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "Europe", "op", authoritative), answer, [], [], ttl, null, null, Now, TimeSpan.Zero);

    /// <summary>A poll: the authoritative answer (null: no authoritative server asked) and the resolvers' answers.</summary>
    private static PropagationSnapshot Poll(ResolverAnswer? authoritative, params ResolverAnswer[] resolvers) => PropagationPoller.Summarize("shop", Now,
        [.. resolvers.Select((a, i) => R($"r{i}", a)), .. authoritative is { } a ? [R("ns", a, authoritative: true)] : Array.Empty<ResolverResult>()]);

    private static DrainStatus At(DrainState state) => new() { State = state, Since = Now.AddHours(-1) };

    internal static TheoryData<string, DrainStatus, DrainInput, DrainState?, string?> Transitions() => new()
    {
        // name, status, input, expected next state (null: no change), expected event
        { "pending without a poll", At(DrainState.Pending), new(null, 0, null), null, null },
        { "pending while the authoritative servers give the source", At(DrainState.Pending), new(Poll(ResolverAnswer.Source, ResolverAnswer.Target), 0, null), null, null },
        { "pending, authoritative switched", At(DrainState.Pending), new(Poll(ResolverAnswer.Target, ResolverAnswer.Source), 0, null), DrainState.Propagating, EventNames.DnsSwitched },
        { "pending, no authoritative server: the first target answer", At(DrainState.Pending), new(Poll(null, ResolverAnswer.Source, ResolverAnswer.Target), 0, null), DrainState.Propagating, EventNames.DnsSwitched },
        { "pending, no authoritative server, nobody on target", At(DrainState.Pending), new(Poll(null, ResolverAnswer.Source, ResolverAnswer.Error), 0, null), null, null },
        { "pending, no authoritative server answers: the first target answer", At(DrainState.Pending), new(Poll(ResolverAnswer.Error, ResolverAnswer.Source, ResolverAnswer.Target), 0, null), DrainState.Propagating, EventNames.DnsSwitched },
        { "pending, no authoritative server answers, nobody on target", At(DrainState.Pending), new(Poll(ResolverAnswer.Error, ResolverAnswer.Source, ResolverAnswer.Error), 0, null), null, null },
        { "propagating, no authoritative server answers, every answering resolver on target", At(DrainState.Propagating), new(Poll(ResolverAnswer.Error, ResolverAnswer.Target, ResolverAnswer.Error), 0, null), DrainState.Draining, EventNames.PropagationComplete },
        { "propagating without a poll", At(DrainState.Propagating), new(null, 0, null), null, null },
        { "propagating, some resolvers still stale", At(DrainState.Propagating) with { StaleUntil = Now.AddHours(1) }, new(Poll(ResolverAnswer.Target, ResolverAnswer.Source), 0, null), null, null },
        { "propagating, every answering resolver on target", At(DrainState.Propagating), new(Poll(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Error), 0, null), DrainState.Draining, EventNames.PropagationComplete },
        { "draining before a whole window was watched", At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1) }, new(null, 10, null), null, null },
        { "draining, traffic above the threshold", At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1) }, new(null, 10, 3), null, null },
        { "draining, quiet but stale caches not expired", At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1), StaleUntil = Now.AddSeconds(1) }, new(null, 10, 0), null, null },
        { "draining, quiet after the last stale cache", At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1), StaleUntil = Now }, new(null, 10, 2), DrainState.Quiet, null },
        { "quiet, traffic beyond the threshold", At(DrainState.Quiet) with { QuietSince = Now.AddMinutes(-1), Baseline = 10 }, new(null, 13, 3), DrainState.Draining, null },
        { "quiet, traffic within the threshold, period not over", At(DrainState.Quiet) with { QuietSince = Now.AddMinutes(-9), Baseline = 10 }, new(null, 12, 2), null, null },
        { "quiet for the whole quiet period", At(DrainState.Quiet) with { QuietSince = Now.AddMinutes(-10), Baseline = 10 }, new(null, 12, 0), DrainState.Drained, EventNames.DrainComplete },
        { "quiet period over, but the threshold broken", At(DrainState.Quiet) with { QuietSince = Now.AddMinutes(-10), Baseline = 10 }, new(null, 13, 0), DrainState.Draining, null },
        { "drained, traffic within the threshold", At(DrainState.Drained) with { DrainedAt = Now.AddHours(-1), Baseline = 10 }, new(null, 12, 2), null, null },
        { "drained, traffic is back", At(DrainState.Drained) with { DrainedAt = Now.AddHours(-1), Baseline = 10 }, new(null, 13, 3, () => "192.0.2.7"), DrainState.Draining, EventNames.DrainRegressed },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    internal void Each_state_moves_only_on_its_rule(string name, DrainStatus status, DrainInput input, DrainState? next, string? raised)
    {
        var step = DrainStateMachine.Step(Cutover, status, input, Now);
        Assert.True(next is null ? step is null || step.Status.State == status.State : step?.Status.State == next, name);
        Assert.Equal(raised, step?.Event);
        Assert.Equal(raised is not null, step?.Text is not null);
        if (step is not null && next is not null && next != status.State)
        {
            Assert.Equal(Now, step.Status.Since);
        }
    }

    [Fact]
    public void A_complete_poll_moves_a_pending_cutover_through_propagating_to_draining_at_once()
    {
        var steps = DrainStateMachine.Advance(Cutover, At(DrainState.Pending), new(Poll(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Target), 0, null), Now);
        Assert.Equal([DrainState.Propagating, DrainState.Draining], steps.Select(s => s.Status.State));
        Assert.Equal([EventNames.DnsSwitched, EventNames.PropagationComplete], steps.Select(s => s.Event));
        Assert.Equal(Now, steps[^1].Status.DnsSwitchedAt);
        Assert.Equal(Now, steps[^1].Status.PropagationCompleteAt);
        Assert.Contains("all 2 answering resolvers give the target", steps[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Silent_authoritative_servers_let_the_resolvers_decide_and_the_switch_text_says_so()
    {
        var silent = PropagationPoller.Summarize("shop", Now,
            [R("r0", ResolverAnswer.Target), R("r1", ResolverAnswer.Source), R("ns1", ResolverAnswer.Error, authoritative: true) with { Error = "timeout" }]);
        Assert.True(silent.AuthoritativeUnreachable);
        Assert.True(DrainStateMachine.Switched(silent));

        var step = DrainStateMachine.Step(Cutover, At(DrainState.Pending), new(silent, 0, null), Now)!;
        Assert.Equal(EventNames.DnsSwitched, step.Event);
        Assert.Contains("seen on the resolvers because the authoritative servers did not answer (ns1 (127.0.0.1:53): timeout)", step.Text, StringComparison.Ordinal);

        // One answering server is enough for the authoritative rule to hold again, whatever the resolvers say.
        var heard = PropagationPoller.Summarize("shop", Now,
            [R("r0", ResolverAnswer.Target), R("ns1", ResolverAnswer.Error, authoritative: true), R("ns2", ResolverAnswer.Source, authoritative: true)]);
        Assert.False(heard.AuthoritativeUnreachable);
        Assert.False(DrainStateMachine.Switched(heard));
        Assert.Empty(heard.UnreachableAuthoritativeServers);
    }

    [Fact]
    public void Stale_caches_push_the_earliest_quiet_out_to_the_longest_ttl_seen()
    {
        var propagating = DrainStateMachine.Step(Cutover, At(DrainState.Propagating), new(Poll(ResolverAnswer.Target, ResolverAnswer.Source), 0, null), Now);
        Assert.NotNull(propagating);
        Assert.Equal(DrainState.Propagating, propagating.Status.State);
        Assert.Equal(Now.AddSeconds(300), propagating.Status.StaleUntil);

        var complete = DrainStateMachine.Step(Cutover, propagating.Status, new(Poll(ResolverAnswer.Target, ResolverAnswer.Target), 0, null), Now.AddSeconds(10));
        Assert.Equal(Now.AddSeconds(300), complete!.Status.StaleUntil);
        Assert.Contains("the last stale caches expire by 2026-11-24 12:05:00 UTC", complete.Text, StringComparison.Ordinal);

        var draining = complete.Status;
        Assert.Null(DrainStateMachine.Step(Cutover, draining, new(null, 0, 0), Now.AddSeconds(299)));
        Assert.Equal(DrainState.Quiet, DrainStateMachine.Step(Cutover, draining, new(null, 0, 0), Now.AddSeconds(300))!.Status.State);
    }

    [Fact]
    public void Quiet_counts_traffic_from_its_baseline_and_drained_keeps_the_total_as_the_new_one()
    {
        var draining = At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1) };
        var quiet = DrainStateMachine.Step(Cutover, draining, new(null, 40, 0), Now)!.Status;
        Assert.Equal(40, quiet.Baseline);
        Assert.Equal(Now, quiet.QuietSince);

        var drained = DrainStateMachine.Step(Cutover, quiet, new(null, 42, 0), Now + Cutover.Drain.QuietPeriod)!;
        Assert.Equal(DrainState.Drained, drained.Status.State);
        Assert.Equal(42, drained.Status.Baseline);
        Assert.Contains("shop.example.test, www.shop.example.test can be decommissioned", drained.Text, StringComparison.Ordinal);

        var regressed = DrainStateMachine.Step(Cutover, drained.Status, new(null, 45, 3, () => "192.0.2.7"), Now.AddHours(2))!;
        Assert.Equal(DrainState.Draining, regressed.Status.State);
        Assert.Null(regressed.Status.DrainedAt);
        Assert.Contains("3 request(s)", regressed.Text, StringComparison.Ordinal);
        Assert.Contains("top client 192.0.2.7", regressed.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_top_client_is_asked_only_for_a_regression()
    {
        var asked = 0;
        string? Top()
        {
            asked++;
            return null;
        }

        DrainStateMachine.Advance(Cutover, At(DrainState.Draining) with { PropagationCompleteAt = Now.AddHours(-1) }, new(null, 5, 0, Top), Now);
        DrainStateMachine.Advance(Cutover, At(DrainState.Quiet) with { QuietSince = Now.AddMinutes(-10), Baseline = 5 }, new(null, 5, 0, Top), Now);
        Assert.Equal(0, asked);
        var regressed = DrainStateMachine.Step(Cutover, At(DrainState.Drained) with { Baseline = 0 }, new(null, 3, 3, Top), Now)!;
        Assert.Equal(1, asked);
        Assert.DoesNotContain("top client", regressed.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(600, 60)]
    public void The_quiet_entry_window_is_the_quiet_period_up_to_a_minute(int quietSeconds, int windowSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(windowSeconds), DrainStateMachine.QuietEntryWindow(new DrainConfig { QuietPeriod = TimeSpan.FromSeconds(quietSeconds) }));

    [Fact]
    public void The_residual_window_answers_only_once_a_whole_window_was_watched()
    {
        var window = new ResidualWindow();
        var window1m = TimeSpan.FromMinutes(1);
        window.Add(Now, 100);
        Assert.Null(window.In(Now.AddSeconds(30), window1m, 105));
        for (var s = 1; s <= 70; s++)
        {
            window.Add(Now.AddSeconds(s), 100 + s);
        }

        // The newest sample older than the window is 9 seconds in (total 109): 170 - 109.
        Assert.Equal(61, window.In(Now.AddSeconds(70), window1m, 170));
    }
}
