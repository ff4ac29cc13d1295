namespace DnsBridge.Residual;

/// <summary>
/// One key of a <see cref="SpaceSaving{TKey}"/> summary. <see cref="Count"/> never underestimates the key's
/// requests and overestimates them by at most <see cref="Error"/> (the count it inherited when it took a slot);
/// an error of 0 means the count is exact.
/// </summary>
public readonly record struct HeavyHitter<TKey>(TKey Key, long Count, long Error, DateTimeOffset LastSeen)
{
    /// <summary>What the key certainly sent: <see cref="Count"/> minus <see cref="Error"/>.</summary>
    public long Guaranteed => Count - Error;
}
