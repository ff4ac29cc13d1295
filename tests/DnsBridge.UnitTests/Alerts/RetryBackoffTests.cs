using DnsBridge.Alerts;

namespace DnsBridge.UnitTests.Alerts;

/// <summary>The outbox's retry schedule: 1 s doubling, capped at 10 minutes for as long as it takes, ±20 % jitter.</summary>
public sealed class RetryBackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(10, 512)]
    [InlineData(11, 600)]
    [InlineData(30, 600)]
    [InlineData(31, 600)]
    [InlineData(1000, 600)]
    [InlineData(int.MaxValue, 600)]
    public void Doubles_from_one_second_to_the_ten_minute_cap_and_stays_there(int attempts, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryBackoff.After(attempts, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(seconds * 0.8), RetryBackoff.After(attempts, 0));
        Assert.Equal(TimeSpan.FromSeconds(seconds * 1.2), RetryBackoff.After(attempts, 1));
    }

    [Fact]
    public void Random_jitter_stays_within_twenty_percent_and_spreads()
    {
        var draws = Enumerable.Range(0, 2000).Select(_ => RetryBackoff.After(40).TotalSeconds).ToList();

        Assert.All(draws, s => Assert.InRange(s, 480, 720));
        Assert.True(draws.Min() < 500 && draws.Max() > 700, $"jitter spread {draws.Min()}..{draws.Max()}");
    }

    [Fact]
    public void A_weekend_of_retries_keeps_trying_every_ten_minutes_or_so()
    {
        // 60 hours of a receiver that is down: the old limit (30 attempts, ~3.5 h) is long past, the schedule is not over.
        var elapsed = TimeSpan.Zero;
        var attempts = 0;
        while (elapsed < TimeSpan.FromHours(60))
        {
            elapsed += RetryBackoff.After(++attempts, 0.5);
        }

        Assert.InRange(attempts, 350, 370);
    }
}
