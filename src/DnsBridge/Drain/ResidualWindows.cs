using System.Collections.Concurrent;

namespace DnsBridge.Drain;

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

/// <summary>
/// Counts per key (client address, user agent) with bounded memory: at most <see cref="Capacity"/> keys; later
/// new keys are only counted as overflow. Lock-free for keys already seen.
/// </summary>
public sealed class CappedCounter<TKey>
    where TKey : notnull
{
    public const int Capacity = 10_000;
    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private long _overflow;

    public CappedCounter(IEqualityComparer<TKey>? comparer = null) => _entries = new ConcurrentDictionary<TKey, Entry>(comparer);

    public long Overflow => Interlocked.Read(ref _overflow);

    public void Touch(TKey key, long nowTicks)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= Capacity)
            {
                Interlocked.Increment(ref _overflow);
                return;
            }

            entry = _entries.GetOrAdd(key, static _ => new Entry());
        }

        Interlocked.Increment(ref entry.Count);
        Interlocked.Exchange(ref entry.LastSeenTicks, nowTicks);
    }

    /// <summary>Keys seen since <paramref name="sinceTicks"/> (a lower bound when the cap was reached).</summary>
    public int DistinctSince(long sinceTicks) => _entries.Count(e => Interlocked.Read(ref e.Value.LastSeenTicks) >= sinceTicks);

    public IReadOnlyList<(TKey Key, long Count, DateTimeOffset LastSeen)> Top(int k) =>
        [.. _entries.Select(e => (e.Key, Interlocked.Read(ref e.Value.Count), new DateTimeOffset(Interlocked.Read(ref e.Value.LastSeenTicks), TimeSpan.Zero)))
            .OrderByDescending(e => e.Item2).Take(k)];

    private sealed class Entry
    {
        public long Count;
        public long LastSeenTicks;
    }
}
