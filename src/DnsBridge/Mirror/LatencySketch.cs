namespace DnsBridge.Mirror;

/// <summary>
/// Quantiles of a latency stream in fixed memory: 128 logarithmic buckets (each 15 % wider than the last, from
/// 50 µs to beyond 100 s), counted with interlocked increments. A quantile is its bucket's geometric middle, so
/// within about 7 % of the true value whatever the number of samples.
/// </summary>
internal sealed class LatencySketch
{
    private const int BucketCount = 128;
    private const double Smallest = 0.00005;
    private static readonly double Growth = 1.15;
    private static readonly double LogGrowth = Math.Log(Growth);

    private readonly long[] _counts = new long[BucketCount];
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    public void Record(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var index = seconds <= Smallest ? 0 : Math.Min(BucketCount - 1, 1 + (int)(Math.Log(seconds / Smallest) / LogGrowth));
        Interlocked.Increment(ref _counts[index]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The non-empty buckets, index to count: what <see cref="Add"/> takes back (the stored form).</summary>
    public Dictionary<int, long> Buckets()
    {
        var buckets = new Dictionary<int, long>();
        for (var i = 0; i < BucketCount; i++)
        {
            if (Interlocked.Read(ref _counts[i]) is var count and > 0)
            {
                buckets[i] = count;
            }
        }

        return buckets;
    }

    /// <summary>Adds another sketch's buckets (another replica's, or this one's before a restart); unknown indexes are ignored.</summary>
    public void Add(IReadOnlyDictionary<int, long> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        foreach (var (index, count) in buckets)
        {
            if (index is >= 0 and < BucketCount && count > 0)
            {
                Interlocked.Add(ref _counts[index], count);
                Interlocked.Add(ref _total, count);
            }
        }
    }

    /// <summary>The <paramref name="q"/> quantile (0-1) in seconds; null before the first sample.</summary>
    public double? Quantile(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return i == 0 ? Smallest : Smallest * Math.Pow(Growth, i - 0.5);
            }
        }

        return Smallest * Math.Pow(Growth, BucketCount - 1);
    }
}
