using DnsBridge.Admin;
using DnsBridge.State;

namespace DnsBridge.UnitTests.Admin;

/// <summary>The charts' series from stored minutes and answer changes: buckets per range, the share per poll.</summary>
public sealed class HistorySeriesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 30, TimeSpan.Zero);

    private static long MinutesAgo(int minutes) => Now.ToUnixTimeSeconds() / 60 - minutes;

    [Theory]
    [InlineData("1h", 60, 1, 5)]
    [InlineData("24h", 96, 15, 5 + 7)]
    [InlineData("7d", 168, 60, 5 + 7 + 11)]
    public void Residual_sums_stored_minutes_into_the_range_buckets_with_zeros_and_nothing_older(string name, int buckets, int bucketMinutes, long total)
    {
        var range = HistoryRange.Parse(name)!;
        ResidualMinute[] minutes =
        [
            new("a", MinutesAgo(0), 2), new("a", MinutesAgo(30), 3), new("a", MinutesAgo(5 * 60), 7),
            new("a", MinutesAgo(3 * 24 * 60), 11), new("a", MinutesAgo(8 * 24 * 60), 1000),
        ];

        var points = HistorySeries.Residual(minutes, range, Now);

        Assert.Equal(buckets, points.Count);
        Assert.Equal(bucketMinutes, range.BucketMinutes);
        Assert.Equal(total, points.Sum(p => p.Count));
        Assert.True(points[^1].At <= Now && Now - points[^1].At < TimeSpan.FromMinutes(bucketMinutes), $"last bucket at {points[^1].At}");
        Assert.All(points.Zip(points.Skip(1)), p => Assert.Equal(TimeSpan.FromMinutes(bucketMinutes), p.Second.At - p.First.At));
        Assert.Equal(2, points[^1].Count);
    }

    [Fact]
    public void An_unknown_range_is_refused()
    {
        Assert.Null(HistoryRange.Parse("2y"));
        Assert.Equal("1h", HistoryRange.Parse(null)!.Name);
        Assert.Equal("1h, 24h, 7d", HistoryRange.Names);
    }

    [Fact]
    public void Share_is_one_point_per_poll_over_recursive_resolvers_with_errors_left_out_and_the_earlier_share_carried_in()
    {
        var range = HistoryRange.Parse("1h")!;
        var old = Now - TimeSpan.FromHours(2);
        var poll = Now - TimeSpan.FromMinutes(20);
        PropagationChange Change(string resolver, DateTimeOffset at, string answer) => new("a", resolver, at, answer, "", 60);
        PropagationChange[] changes =
        [
            // Two hours ago: r1 target, r2 source, r3 error (not counted): 1 of 2.
            Change("r1", old, "target"), Change("r2", old.AddMilliseconds(200), "source"), Change("r3", old.AddMilliseconds(400), "error"),

            // An authoritative server never counts, whatever it says.
            Change("auth ns1.example.test", old.AddMilliseconds(100), "source"),

            // One poll 20 min ago, its answers recorded over 0.6 s: r2 and r3 switch, one point 3 of 3.
            Change("r2", poll, "target"), Change("r3", poll.AddMilliseconds(600), "target"),
        ];

        var points = HistorySeries.Share(changes, range, Now);

        Assert.Equal(2, points.Count);
        Assert.Equal((Now - range.Span, 0.5, 1, 2), (points[0].At, points[0].Ratio, points[0].Target, points[0].Answering));
        Assert.Equal((poll, 1.0, 3, 3), (points[1].At, points[1].Ratio, points[1].Target, points[1].Answering));
    }
}
