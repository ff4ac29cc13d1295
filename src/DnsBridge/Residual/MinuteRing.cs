namespace DnsBridge.Residual;

/// <summary>
/// Residual requests per minute over the last hour, lock-free: one slot per minute of the hour, reset by the first
/// request of a new minute. Rates are for people (1 min, 15 min, 1 h); the exact total lives in the counter.
/// </summary>
internal sealed class MinuteRing
{
    // Made by the first request, so a cutover that never sees one (one of hundreds in a wave) costs one reference.
    private Buckets? _buckets;

    public void Add(long minute)
    {
        var buckets = Volatile.Read(ref _buckets) ?? Create();
        var slot = (int)(minute % 60);
        var stamp = Volatile.Read(ref buckets.Stamps[slot]);
        if (stamp != minute && Interlocked.CompareExchange(ref buckets.Stamps[slot], minute, stamp) == stamp)
        {
            Interlocked.Exchange(ref buckets.Counts[slot], 0);
        }

        Interlocked.Increment(ref buckets.Counts[slot]);
    }

    /// <summary>Requests in the last <paramref name="minutes"/> whole minutes, including the current one.</summary>
    public long Sum(long nowMinute, int minutes)
    {
        if (Volatile.Read(ref _buckets) is not { } buckets)
        {
            return 0;
        }

        long sum = 0;
        for (var m = nowMinute - minutes + 1; m <= nowMinute; m++)
        {
            sum += buckets.Count(m);
        }

        return sum;
    }

    /// <summary>The last <paramref name="minutes"/> minutes as (minute, count), oldest first, for the status page chart.</summary>
    public IReadOnlyList<(long Minute, long Count)> Series(long nowMinute, int minutes)
    {
        var buckets = Volatile.Read(ref _buckets);
        return [.. Enumerable.Range(0, minutes).Select(i => nowMinute - minutes + 1 + i).Select(m => (m, buckets?.Count(m) ?? 0L))];
    }

    // Every racing first request gets the one set that won, so none of their counts is lost.
    private Buckets Create()
    {
        var fresh = new Buckets();
        return Interlocked.CompareExchange(ref _buckets, fresh, null) ?? fresh;
    }

    private sealed class Buckets
    {
        public readonly long[] Stamps = new long[60];
        public readonly long[] Counts = new long[60];

        public long Count(long minute)
        {
            var slot = (int)(minute % 60);
            return Volatile.Read(ref Stamps[slot]) == minute ? Volatile.Read(ref Counts[slot]) : 0;
        }
    }
}
