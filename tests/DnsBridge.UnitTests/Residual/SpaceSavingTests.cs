using DnsBridge.Residual;

namespace DnsBridge.UnitTests.Residual;

/// <summary>Space-Saving's guarantees on known streams: heavy keys are always there, counts bound the truth.</summary>
public sealed class SpaceSavingTests
{
    /// <summary>A skewed stream (Zipf-like: key i with weight 1 / (i + 1)) of many more keys than slots, shuffled.</summary>
    private static int[] SkewedStream(int keys, int length, int seed)
    {
        var random = new Random(seed);
        var weights = Enumerable.Range(0, keys).Select(i => 1.0 / (i + 1)).ToArray();
        var total = weights.Sum();
        var cumulative = new double[keys];
        var acc = 0.0;
        for (var i = 0; i < keys; i++)
        {
            acc += weights[i] / total;
            cumulative[i] = acc;
        }

        return [.. Enumerable.Range(0, length).Select(_ =>
        {
            var j = Array.BinarySearch(cumulative, random.NextDouble());
            return Math.Min(keys - 1, j < 0 ? ~j : j);
        })];
    }

    [Theory]
    [InlineData(50, 5_000, 20_000, 1)]
    [InlineData(200, 20_000, 100_000, 2)]
    public void Every_key_above_N_over_k_is_present_and_its_count_bounds_the_truth(int capacity, int keys, int length, int seed)
    {
        var summary = new SpaceSaving<int>(capacity);
        var truth = new Dictionary<int, long>();
        foreach (var key in SkewedStream(keys, length, seed))
        {
            summary.Touch(key, 1);
            truth[key] = truth.GetValueOrDefault(key) + 1;
        }

        var kept = summary.Top(capacity).ToDictionary(h => h.Key);
        Assert.Equal(capacity, kept.Count);
        Assert.True(summary.Evictions > 0);
        foreach (var (key, count) in truth.Where(t => t.Value > length / capacity))
        {
            Assert.True(kept.ContainsKey(key), $"key {key} with {count} > N/k = {length / capacity} is missing");
        }

        foreach (var hitter in kept.Values)
        {
            var actual = truth[hitter.Key];
            Assert.InRange(actual, hitter.Guaranteed, hitter.Count);
            Assert.InRange(hitter.Error, 0, length / capacity);
        }

        // Every arrival adds exactly one to the sum of the counts.
        Assert.Equal(length, kept.Values.Sum(h => h.Count));
    }

    [Fact]
    public void A_late_heavy_key_replaces_a_minimum_and_tops_the_list()
    {
        var summary = new SpaceSaving<int>(100);
        for (var i = 0; i < 150; i++)
        {
            summary.Touch(i, 1);
        }

        for (var i = 0; i < 5; i++)
        {
            summary.Touch(1_000, 2);
        }

        var top = summary.Top(3);
        Assert.Equal(1_000, top[0].Key);
        Assert.Equal(6, top[0].Count);
        Assert.Equal(1, top[0].Error);
        Assert.Equal(5, top[0].Guaranteed);
        Assert.Equal(new DateTimeOffset(2, TimeSpan.Zero), top[0].LastSeen);
        Assert.Equal(100, summary.Count);
        Assert.Equal(51, summary.Evictions);
    }

    [Fact]
    public void First_seen_is_set_once_and_the_tag_is_the_last_one_given()
    {
        var summary = new SpaceSaving<string>(10, StringComparer.Ordinal);
        summary.Touch("a", 10, "curl/8");
        summary.Touch("a", 20);
        summary.Touch("a", 30, "Java/17");
        summary.Touch("b", 40);

        var (a, b) = (summary.Top(2)[0], summary.Top(2)[1]);
        Assert.Equal((10L, 30L, "Java/17"), (a.FirstSeen.UtcTicks, a.LastSeen.UtcTicks, a.Tag));
        Assert.Equal((40L, 40L, (string?)null), (b.FirstSeen.UtcTicks, b.LastSeen.UtcTicks, b.Tag));
    }

    [Fact]
    public void Below_capacity_every_count_is_exact_and_the_distinct_count_follows_last_seen()
    {
        var summary = new SpaceSaving<string>(10, StringComparer.Ordinal);
        summary.Touch("a", 10);
        summary.Touch("a", 20);
        summary.Touch("b", 30);
        summary.Touch("c", 5);

        Assert.Equal(0, summary.Evictions);
        Assert.Equal([("a", 2L, 0L), ("b", 1L, 0L), ("c", 1L, 0L)], summary.Top(10).Select(h => (h.Key, h.Count, h.Error)));
        Assert.Equal(2, summary.DistinctSince(20));
        Assert.Equal(3, summary.DistinctSince(0));
    }

    [Fact]
    public void Concurrent_writers_keep_it_bounded_and_its_counts_consistent()
    {
        const int Capacity = 64;
        var summary = new SpaceSaving<int>(Capacity);
        Parallel.For(0, 8, t =>
        {
            var random = new Random(t);
            for (var i = 0; i < 50_000; i++)
            {
                // A few hot keys among many cold ones, so known-key hits and evictions interleave.
                summary.Touch(random.Next(4) == 0 ? random.Next(8) : 100 + random.Next(10_000), i);
            }
        });

        var all = summary.Top(Capacity * 2);
        Assert.Equal(Capacity, all.Count);
        Assert.Equal(Capacity, all.Select(h => h.Key).Distinct().Count());
        Assert.All(all, h => Assert.InRange(h.Error, 0, h.Count - 1));
        Assert.Equal(Enumerable.Range(0, 8), all.Take(8).Select(h => h.Key).Order());

        // Racing an eviction may lose a request of the key being evicted, never add one.
        Assert.InRange(all.Sum(h => h.Count), 8 * 50_000 - 1_000, 8 * 50_000);
    }
}
