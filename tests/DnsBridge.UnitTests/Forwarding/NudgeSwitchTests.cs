using DnsBridge.Forwarding;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DnsBridge.UnitTests.Forwarding;

/// <summary>The nudge budget: at most <see cref="NudgeSwitch.MaxPerSecond"/> per second, on a fake clock.</summary>
public sealed class NudgeSwitchTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private NudgeSwitch Switch() => new NudgeRegistry(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), _time).For("shop");

    [Fact]
    public void A_hundred_nudges_a_second_the_next_one_refused_and_the_budget_back_the_next_second()
    {
        var nudge = Switch();
        nudge.PropagationComplete = true;

        Assert.Equal(100, NudgeSwitch.MaxPerSecond);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(nudge.TryTake()));
        Assert.False(nudge.TryTake());

        // Still the same second, however many ask.
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(nudge.TryTake());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(100, Enumerable.Range(0, 150).Count(_ => nudge.TryTake()));
    }

    [Fact]
    public void Nothing_is_taken_before_propagation_is_complete()
    {
        var nudge = Switch();
        Assert.False(nudge.TryTake());

        nudge.PropagationComplete = true;
        Assert.True(nudge.TryTake());
        nudge.PropagationComplete = false;
        Assert.False(nudge.TryTake());
    }

    [Fact]
    public void A_cutover_never_nudged_reports_zeros_and_a_nudged_client_that_returns_is_counted_once()
    {
        var nudge = Switch();
        var client = System.Net.IPAddress.Parse("198.51.100.7");
        nudge.Seen(client);
        Assert.Equal(new NudgeSummary(0, 0, 0, 0, 0, 0), nudge.Summary());

        nudge.Nudged(client);
        nudge.Nudged(client);
        nudge.Seen(client);
        Assert.Equal(new NudgeSummary(0, 0, 0, 0, 1, 0), nudge.Summary());

        // Back after the grace second, on a new connection: it still resolves to the source.
        _time.Advance(TimeSpan.FromSeconds(2));
        nudge.Seen(client);
        nudge.Seen(client);
        Assert.Equal(new NudgeSummary(0, 0, 0, 0, 1, 1), nudge.Summary());
    }
}
