using System.Collections.Concurrent;

namespace DnsBridge.Residual;

/// <summary>
/// Counts per key (client address, user agent) with bounded memory: at most <see cref="Capacity"/> keys; later
/// new keys are not followed. Lock-free for keys already seen.
/// </summary>
public sealed class CappedCounter<TKey>
    where TKey : notnull
{
    public const int Capacity = 10_000;
    private readonly ConcurrentDictionary<TKey, Entry> _entries;

    public CappedCounter(IEqualityComparer<TKey>? comparer = null) => _entries = new ConcurrentDictionary<TKey, Entry>(comparer);

    public void Touch(TKey key, long nowTicks)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= Capacity)
            {
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
