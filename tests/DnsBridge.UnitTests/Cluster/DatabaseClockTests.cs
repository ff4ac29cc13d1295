using DnsBridge.Cluster;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Cluster;

/// <summary>Replicas whose own clocks disagree read the database's: heartbeats and leases mean the same on each.</summary>
public sealed class DatabaseClockTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-06T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Two_replicas_with_skewed_clocks_agree_once_each_has_read_the_database()
    {
        var fast = new DatabaseClock(new FakeTimeProvider(T0 + TimeSpan.FromSeconds(7)));
        var slow = new DatabaseClock(new FakeTimeProvider(T0 - TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.FromSeconds(11), fast.GetUtcNow() - slow.GetUtcNow());

        // Each asked the database (whose clock says T0) and got the answer back 200 ms later by its own clock.
        fast.Observe(fast.LocalNow(), T0 + TimeSpan.FromMilliseconds(100), fast.LocalNow() + TimeSpan.FromMilliseconds(200));
        slow.Observe(slow.LocalNow(), T0 + TimeSpan.FromMilliseconds(100), slow.LocalNow() + TimeSpan.FromMilliseconds(200));

        Assert.Equal(T0, fast.GetUtcNow());
        Assert.Equal(T0, slow.GetUtcNow());
    }

    [Fact]
    public async Task Delays_run_on_the_inner_clock_so_a_fake_one_drives_them()
    {
        var inner = new FakeTimeProvider(T0);
        var clock = new DatabaseClock(inner);
        clock.Observe(T0, T0 + TimeSpan.FromHours(1), T0);
        var delay = Task.Delay(TimeSpan.FromSeconds(5), clock);
        Assert.False(delay.IsCompleted);
        inner.Advance(TimeSpan.FromSeconds(5));
        await delay;
        Assert.Equal(T0 + TimeSpan.FromHours(1) + TimeSpan.FromSeconds(5), clock.GetUtcNow());
    }
}
