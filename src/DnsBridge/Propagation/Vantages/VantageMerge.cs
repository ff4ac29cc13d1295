using System.Net;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation.Vantages;

/// <summary>
/// How a remote vantage's rows join a cutover's snapshot: its own resolver rows, labelled with its name, while it
/// answers and its answers move; otherwise one <see cref="ResolverAnswer.Error"/> row <c>vantage NAME</c> saying why,
/// which holds propagation complete (<see cref="ResolverResult.VantageUnavailable"/>): a region nobody can see is not
/// a region that has switched.
/// </summary>
internal static class VantageMerge
{
    /// <summary>Intervals without a new remote snapshot after which a vantage's rows count as stale.</summary>
    public const int StaleIntervals = 3;

    public const string RowPrefix = "vantage ";

    public static IReadOnlyList<ResolverResult> Rows(string cutover, VantageState vantage, DateTimeOffset now, TimeSpan interval)
    {
        if (vantage.Error is { } error)
        {
            return [Unavailable(vantage, now, error)];
        }

        if (!vantage.Cutovers.TryGetValue(cutover, out var remote))
        {
            return [Unavailable(vantage, now, $"no propagation for cutover '{cutover}' yet (is it configured there, with propagation enabled?)")];
        }

        if (now - remote.FreshAt > interval * StaleIntervals)
        {
            return [Unavailable(vantage, now, $"stale: no fresh answers since {remote.RemoteAt:u} ({StaleIntervals} intervals)")];
        }

        if (remote.Rows.Count == 0)
        {
            return [Unavailable(vantage, now, "no resolver rows")];
        }

        return [.. remote.Rows.Select(r => r with { Resolver = r.Resolver with { Vantage = vantage.Name } })];
    }

    /// <summary>The local snapshot with every vantage's rows merged in, summarized again over all of them.</summary>
    public static PropagationSnapshot Merge(PropagationSnapshot local, IEnumerable<VantageState> vantages, DateTimeOffset now, TimeSpan interval)
    {
        var remote = vantages.SelectMany(v => Rows(local.Cutover, v, now, interval)).ToList();
        if (remote.Count == 0)
        {
            return local;
        }

        var merged = PropagationPoller.Summarize(local.Cutover, local.At, [.. local.Resolvers, .. remote]);
        return merged with { AuthoritativeDisagreement = local.AuthoritativeDisagreement, Delegation = local.Delegation };
    }

    private static ResolverResult Unavailable(VantageState vantage, DateTimeOffset now, string why)
    {
        var resolver = new ResolverInfo($"{RowPrefix}{vantage.Name}", new IPEndPoint(IPAddress.None, 0), "vantage", "dnsbridge", Authoritative: false) { Vantage = vantage.Name };
        if (ResolverAddress.TryParse(vantage.Url, null, out var url, out _))
        {
            resolver = resolver with { Via = url };
        }

        return new ResolverResult(resolver, ResolverAnswer.Error, [], [], null, why, $"remote vantage {vantage.Url}", now, TimeSpan.Zero) { VantageUnavailable = true };
    }
}
