namespace DnsBridge.Propagation.Vantages;

/// <summary>
/// What this instance knows of one remote vantage: the rows of its last good pull per cutover and, while its last
/// pull failed, why. <see cref="VantageCutover.FreshAt"/> is on this instance's clock (when the remote's snapshot time
/// last moved), so a clock skew between the two hosts never makes rows look fresh or stale.
/// </summary>
internal sealed record VantageState(string Name, string Url, IReadOnlyDictionary<string, VantageCutover> Cutovers, string? Error)
{
    public static VantageState Empty(string name, string url) => new(name, url, new Dictionary<string, VantageCutover>(StringComparer.Ordinal), null);
}

/// <summary>One cutover as a remote vantage last reported it: its snapshot time, when that last changed here, its own rows.</summary>
internal sealed record VantageCutover(DateTimeOffset RemoteAt, DateTimeOffset FreshAt, IReadOnlyList<ResolverResult> Rows);
