namespace DnsBridge.Residual;

/// <summary>
/// Residual requests per minute over the last hour, lock-free: one slot per minute of the hour, reset by the first
/// request of a new minute. Rates are for people (1 min, 15 min, 1 h); the exact total lives in the counter.
/// </summary>
public sealed class MinuteRing
{
    private readonly long[] _stamps = new long[60];
    private readonly long[] _counts = new long[60];

    public void Add(long minute)
    {
        var slot = (int)(minute % 60);
        var stamp = Volatile.Read(ref _stamps[slot]);
        if (stamp != minute && Interlocked.CompareExchange(ref _stamps[slot], minute, stamp) == stamp)
        {
            Interlocked.Exchange(ref _counts[slot], 0);
        }

        Interlocked.Increment(ref _counts[slot]);
    }

    /// <summary>Requests in the last <paramref name="minutes"/> whole minutes, including the current one.</summary>
    public long Sum(long nowMinute, int minutes)
    {
        long sum = 0;
        for (var m = nowMinute - minutes + 1; m <= nowMinute; m++)
        {
            var slot = (int)(m % 60);
            if (Volatile.Read(ref _stamps[slot]) == m)
            {
                sum += Volatile.Read(ref _counts[slot]);
            }
        }

        return sum;
    }

    /// <summary>The last <paramref name="minutes"/> minutes as (minute, count), oldest first, for the status page chart.</summary>
    public IReadOnlyList<(long Minute, long Count)> Series(long nowMinute, int minutes) =>
        [.. Enumerable.Range(0, minutes).Select(i => nowMinute - minutes + 1 + i).Select(m => (m, Volatile.Read(ref _stamps[m % 60]) == m ? Volatile.Read(ref _counts[m % 60]) : 0L))];
}
