namespace DnsBridge.Residual;

/// <summary>
/// One key of a <see cref="SpaceSaving{TKey}"/> summary. <see cref="Count"/> never underestimates the key's
/// requests and overestimates them by at most <see cref="Error"/> (the count it inherited when it took a slot);
/// an error of 0 means the count is exact. <see cref="FirstSeen"/> is when the key took its slot: its first request
/// when the error is 0, otherwise when it came back after losing the slot. <see cref="Tag"/> is the last tag the
/// caller attached (a client's last user agent), null when none was.
/// </summary>
internal readonly record struct HeavyHitter<TKey>(TKey Key, long Count, long Error, DateTimeOffset LastSeen, DateTimeOffset FirstSeen, string? Tag)
{
    /// <summary>What the key certainly sent: <see cref="Count"/> minus <see cref="Error"/>.</summary>
    public long Guaranteed => Count - Error;
}
