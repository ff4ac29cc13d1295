using System.Collections.Concurrent;

namespace DnsBridge.Residual;

/// <summary>
/// The heaviest keys of an unbounded stream (client addresses, user agents) in bounded memory: Space-Saving
/// (Metwally, Agrawal, El Abbadi, 2005). A fixed number of slots; a key not followed takes the slot of the
/// least-counted one and inherits its count as its error. So it keeps counting newcomers (the long tail late in a
/// drain, which a frozen table never shows), any key with more than N / capacity requests is always present, and
/// every count is an overestimate by at most its error.
/// </summary>
/// <remarks>
/// Known keys cost a lookup and two interlocked writes, without a lock. A new key takes a short lock: appended
/// while there is room, otherwise it replaces a minimum. The minimum search starts where the last one stopped and
/// ends at the first slot at the known floor (counts only grow, so the minimum never falls): with a long tail
/// (many keys share the minimum, the usual case) that is a step or two; at worst one scan of the slots.
/// A request racing with the eviction of its own key may be missed: that key was the least counted anyway.
/// </remarks>
internal sealed class SpaceSaving<TKey>
    where TKey : notnull
{
    public const int DefaultCapacity = 10_000;

    // Slots start empty and double up to the capacity, and the index is made by the first key: a summary nobody
    // touches (a cutover without traffic, one of hundreds in a wave) costs a few words, not the full table.
    private const int FirstSlots = 16;
    private readonly int _capacity;
    private readonly IEqualityComparer<TKey>? _comparer;
    private ConcurrentDictionary<TKey, Entry>? _index;
    private Entry[] _slots = [];
    private readonly Lock _gate = new();
    private int _used;
    private int _cursor;
    private long _floor;
    private long _evictions;

    public SpaceSaving(int capacity = DefaultCapacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _comparer = comparer;
    }

    public int Capacity => _capacity;

    /// <summary>Keys followed now (at most <see cref="Capacity"/>).</summary>
    public int Count => Volatile.Read(ref _used);

    /// <summary>How many keys lost their slot to a newcomer: 0 means every count is exact and every key ever seen is here.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>
    /// Counts one occurrence of <paramref name="key"/>. <paramref name="tag"/>, when given, replaces the key's last
    /// tag (a client's last user agent): the caller caps it, so a full summary holds at most capacity × the cap.
    /// </summary>
    public void Touch(TKey key, long nowTicks, string? tag = null)
    {
        if (Volatile.Read(ref _index) is { } index && index.TryGetValue(key, out var entry))
        {
            entry.Hit(nowTicks, tag);
            return;
        }

        Admit(key, nowTicks, tag);
    }

    private void Admit(TKey key, long nowTicks, string? tag)
    {
        lock (_gate)
        {
            var index = _index;
            if (index is null)
            {
                index = new ConcurrentDictionary<TKey, Entry>(_comparer);
                Volatile.Write(ref _index, index);
            }

            // Another request may have admitted it while this one waited.
            if (index.TryGetValue(key, out var entry))
            {
                entry.Hit(nowTicks, tag);
                return;
            }

            if (_used < _capacity)
            {
                if (_used == _slots.Length)
                {
                    // Readers take _used first, then the array: the array they get is never shorter than that count.
                    var grown = new Entry[Math.Min(_capacity, Math.Max(FirstSlots, _slots.Length * 2))];
                    Array.Copy(_slots, grown, _used);
                    Volatile.Write(ref _slots, grown);
                }

                entry = new Entry(key, 1, 0, nowTicks, tag);
                _slots[_used] = entry;
                index[key] = entry;
                Volatile.Write(ref _used, _used + 1);
                return;
            }

            var slot = MinimumSlot();
            var victim = _slots[slot];
            index.TryRemove(victim.Key, out _);
            var minimum = Interlocked.Read(ref victim.Count);
            entry = new Entry(key, minimum + 1, minimum, nowTicks, tag);
            Volatile.Write(ref _slots[slot], entry);
            index[key] = entry;
            Interlocked.Increment(ref _evictions);
        }
    }

    /// <summary>A slot with the least count. Under the lock.</summary>
    private int MinimumSlot()
    {
        var n = _slots.Length;
        var best = 0;
        var bestCount = long.MaxValue;
        for (var step = 0; step < n; step++)
        {
            var i = _cursor + step < n ? _cursor + step : _cursor + step - n;
            var count = Interlocked.Read(ref _slots[i].Count);
            if (count <= _floor)
            {
                _cursor = i + 1 < n ? i + 1 : 0;
                return i;
            }

            if (count < bestCount)
            {
                bestCount = count;
                best = i;
            }
        }

        // A whole scan: no slot left at the old floor, so the minimum found is the new floor.
        _floor = bestCount;
        _cursor = best + 1 < n ? best + 1 : 0;
        return best;
    }

    /// <summary>Keys seen since <paramref name="sinceTicks"/> among those followed: exact while <see cref="Evictions"/> is 0.</summary>
    public int DistinctSince(long sinceTicks)
    {
        var used = Volatile.Read(ref _used);
        var slots = Volatile.Read(ref _slots);
        var distinct = 0;
        for (var i = 0; i < used; i++)
        {
            if (Interlocked.Read(ref Volatile.Read(ref slots[i]).LastSeenTicks) >= sinceTicks)
            {
                distinct++;
            }
        }

        return distinct;
    }

    /// <summary>The <paramref name="k"/> keys with the highest counts, highest first.</summary>
    public IReadOnlyList<HeavyHitter<TKey>> Top(int k)
    {
        var used = Volatile.Read(ref _used);
        if (used == 0)
        {
            return [];
        }

        var slots = Volatile.Read(ref _slots);
        var all = new HeavyHitter<TKey>[used];
        for (var i = 0; i < used; i++)
        {
            var e = Volatile.Read(ref slots[i]);
            all[i] = new HeavyHitter<TKey>(e.Key, Interlocked.Read(ref e.Count), e.Error, new DateTimeOffset(Interlocked.Read(ref e.LastSeenTicks), TimeSpan.Zero),
                new DateTimeOffset(e.FirstSeenTicks, TimeSpan.Zero), Volatile.Read(ref e.Tag));
        }

        return [.. all.OrderByDescending(h => h.Count).ThenBy(h => h.Error).Take(k)];
    }

    private sealed class Entry(TKey key, long count, long error, long nowTicks, string? tag)
    {
        public readonly TKey Key = key;
        public readonly long Error = error;

        /// <summary>Set once, when the key takes its slot: free on the hot path.</summary>
        public readonly long FirstSeenTicks = nowTicks;
        public long Count = count;
        public long LastSeenTicks = nowTicks;
        public string? Tag = tag;

        public void Hit(long nowTicks, string? tag)
        {
            Interlocked.Increment(ref Count);
            Interlocked.Exchange(ref LastSeenTicks, nowTicks);

            // Compared first: a client keeps its agent, so the usual case reads and writes nothing shared.
            if (tag is not null && !string.Equals(Volatile.Read(ref Tag), tag, StringComparison.Ordinal))
            {
                Volatile.Write(ref Tag, tag);
            }
        }
    }
}
