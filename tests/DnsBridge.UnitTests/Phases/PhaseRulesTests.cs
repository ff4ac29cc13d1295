using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Mirror;
using DnsBridge.Phases;

namespace DnsBridge.UnitTests.Phases;

/// <summary>The phase transition table and the readiness gate, as pure functions.</summary>
public sealed class PhaseRulesTests
{
    internal static TheoryData<CutoverPhase, CutoverPhase, bool> Table() => new()
    {
        // from, to, allowed
        { CutoverPhase.Rehearsal, CutoverPhase.Frozen, true },
        { CutoverPhase.Rehearsal, CutoverPhase.Switched, true },
        { CutoverPhase.Rehearsal, CutoverPhase.RolledBack, false },
        { CutoverPhase.Rehearsal, CutoverPhase.Rehearsal, false },
        { CutoverPhase.Frozen, CutoverPhase.Rehearsal, true },
        { CutoverPhase.Frozen, CutoverPhase.Switched, true },
        { CutoverPhase.Frozen, CutoverPhase.RolledBack, true },
        { CutoverPhase.Frozen, CutoverPhase.Frozen, false },
        { CutoverPhase.Switched, CutoverPhase.RolledBack, true },
        { CutoverPhase.Switched, CutoverPhase.Rehearsal, false },
        { CutoverPhase.Switched, CutoverPhase.Frozen, false },
        { CutoverPhase.Switched, CutoverPhase.Switched, false },
        { CutoverPhase.RolledBack, CutoverPhase.Rehearsal, true },
        { CutoverPhase.RolledBack, CutoverPhase.Frozen, true },
        { CutoverPhase.RolledBack, CutoverPhase.Switched, true },
        { CutoverPhase.RolledBack, CutoverPhase.RolledBack, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    internal void Every_transition_is_allowed_or_refused_with_a_reason(CutoverPhase from, CutoverPhase to, bool allowed)
    {
        Assert.Equal(allowed, PhaseRules.Allowed(from, to));
        var refusal = PhaseRules.Refusal("shop", from, to);
        if (allowed)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.NotNull(refusal);
            Assert.StartsWith("shop is ", refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_refusal_names_the_phases_it_could_follow()
    {
        Assert.Equal("shop is switched: frozen can only follow rehearsal or rolled_back", PhaseRules.Refusal("shop", CutoverPhase.Switched, CutoverPhase.Frozen));
        Assert.Equal("shop is already frozen", PhaseRules.Refusal("shop", CutoverPhase.Frozen, CutoverPhase.Frozen));
    }

    [Fact]
    public void Every_phase_has_a_label_that_parses_back()
    {
        Assert.Equal(["rehearsal", "frozen", "switched", "rolled_back"], CutoverPhases.All.Select(p => p.Label()));
        foreach (var phase in CutoverPhases.All)
        {
            Assert.True(CutoverPhases.TryParse(phase.Label().ToUpperInvariant(), out var parsed));
            Assert.Equal(phase, parsed);
        }

        Assert.False(CutoverPhases.TryParse("rolledback", out _));
        Assert.False(CutoverPhases.TryParse(null, out _));
    }

    [Fact]
    public void Without_a_requirement_the_gate_never_refuses()
    {
        Assert.Empty(PhaseRules.GateFailures(null, MirrorReadiness.None));
    }

    [Fact]
    public void Nothing_mirrored_fails_every_bound_truthfully()
    {
        var failures = PhaseRules.GateFailures(new SwitchRequireConfig { MinMirrored = 1000, MinStatusMatch = 0.99, MaxLatencyRatioP99 = 2 }, MirrorReadiness.None);

        Assert.Equal(
            [
                "0 requests mirrored, Switch.Require.MinMirrored is 1000",
                "no mirrored request to compare status codes, Switch.Require.MinStatusMatch is 0.99",
                "no mirrored latency to compare, Switch.Require.MaxLatencyRatioP99 is 2",
            ],
            failures);
    }

    [Fact]
    public void The_gate_names_the_failing_path_groups_only()
    {
        var readiness = new MirrorReadiness(2000, 1960, 1.5,
        [
            new PathGroupReadiness("/api/orders/{id}", 1000, 960, 950, 40, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350)),
            new PathGroupReadiness("/", 1000, 1000, 1000, 0, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(120)),
        ]);

        var failures = PhaseRules.GateFailures(new SwitchRequireConfig { MinMirrored = 1000, MinStatusMatch = 0.99, MaxLatencyRatioP99 = 2 }, readiness);

        Assert.Equal(
            [
                "status codes match in 0.98 of mirrored requests, Switch.Require.MinStatusMatch is 0.99",
                "path /api/orders/{id}: status codes match in 0.96 (960/1000, 40 target errors)",
                "path /api/orders/{id}: target p99 350 ms is 3.5x the source's 100 ms",
            ],
            failures);
    }

    [Fact]
    public void A_ready_target_passes()
    {
        var readiness = new MirrorReadiness(1000, 995, 1.1, [new PathGroupReadiness("/", 1000, 995, 990, 0, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(110))]);

        Assert.Empty(PhaseRules.GateFailures(new SwitchRequireConfig { MinMirrored = 1000, MinStatusMatch = 0.99, MaxLatencyRatioP99 = 2 }, readiness));
    }
}
