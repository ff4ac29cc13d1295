using DnsBridge.Residual;

namespace DnsBridge.UnitTests.Residual;

/// <summary>The distinct-count estimator: within a few per cent of the truth across the range that matters.</summary>
public sealed class HyperLogLogTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(10_000)]
    [InlineData(30_000)]
    [InlineData(200_000)]
    public void Estimates_distinct_keys_within_a_few_per_cent(int distinct)
    {
        var sketch = new HyperLogLog();
        for (var i = 0; i < distinct; i++)
        {
            // Every key twice: duplicates must not count.
            sketch.Add(KeyHash.Mix((ulong)i));
            sketch.Add(KeyHash.Mix((ulong)i));
        }

        // 5 % is three standard errors (1.6 %) at 2^12 registers.
        Assert.InRange(sketch.Estimate(), distinct * 0.95, distinct * 1.05);
    }

    [Fact]
    public void Thirty_thousand_client_addresses_are_counted_within_three_per_cent()
    {
        var sketch = new HyperLogLog();
        for (var i = 0; i < 30_000; i++)
        {
            sketch.Add(KeyHash.Of(new System.Net.IPAddress([198, (byte)(18 + (i >> 16)), (byte)(i >> 8), (byte)i])));
        }

        Assert.InRange(sketch.Estimate(), 30_000 * 0.97, 30_000 * 1.03);
    }

    [Fact]
    public void An_empty_sketch_counts_zero_and_merging_is_a_union()
    {
        var a = new HyperLogLog();
        var b = new HyperLogLog();
        Assert.Equal(0, a.Estimate());
        for (var i = 0; i < 20_000; i++)
        {
            (i % 2 == 0 ? a : b).Add(KeyHash.Mix((ulong)i));
            if (i < 5_000)
            {
                b.Add(KeyHash.Mix((ulong)i));
            }
        }

        Span<byte> union = stackalloc byte[HyperLogLog.RegisterCount];
        union.Clear();
        a.MergeInto(union);
        b.MergeInto(union);
        Assert.InRange(HyperLogLog.Estimate(union), 20_000 * 0.95, 20_000 * 1.05);
    }

    [Fact]
    public void The_window_counts_the_last_hour_and_forgets_older_slots()
    {
        var window = new DistinctWindow();
        var start = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero).UtcTicks;
        for (var i = 0; i < 6_000; i++)
        {
            // 1,000 new clients in each of six 10-minute slots, plus the first client every time.
            var at = start + (i / 1_000 * DistinctWindow.SlotLength.Ticks);
            window.Add(KeyHash.Mix((ulong)i), at);
            window.Add(KeyHash.Mix(0), at);
        }

        var lastSlot = start + (5 * DistinctWindow.SlotLength.Ticks);
        Assert.InRange(window.Estimate(lastSlot), 6_000 * 0.95, 6_000 * 1.05);

        // Three slots later the first three have left the window (7 slots: 60 to 70 minutes).
        Assert.InRange(window.Estimate(lastSlot + (4 * DistinctWindow.SlotLength.Ticks)), 3_000 * 0.95, 3_000 * 1.05);
        Assert.Equal(0, window.Estimate(lastSlot + TimeSpan.FromHours(2).Ticks));
    }
}
