using System.Net;

namespace DnsBridge.Propagation.Delegation;

/// <summary>
/// One look at a delegation without any remembered state, for <c>check</c> and <c>preflight</c>: the previous servers'
/// answers, the zone, the parent's referral with its NS TTL, and the zone's own NS set. The monitor does the same with
/// caches (<see cref="DelegationWatcher"/>).
/// </summary>
internal sealed class DelegationCheck(DnsQuerier querier, TimeProvider time)
{
    private readonly DelegationProbe _probe = new(querier);

    /// <param name="previous">IP[:PORT] or host names of the old provider's servers (host names are resolved here)</param>
    /// <param name="current">the zone's current servers (asked without recursion); empty: the resolvers</param>
    public async Task<DelegationSnapshot> RunAsync(string name, IReadOnlyList<string> hosts, IReadOnlyList<string> types, AnswerClassifier classifier,
        IReadOnlyList<string> previous, IReadOnlyList<IPEndPoint> current, IReadOnlyList<IPEndPoint> resolvers, IReadOnlyList<IPEndPoint> parentOverride,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = new List<ResolverInfo>();
        foreach (var entry in previous)
        {
            if (Configuration.ConfigParsers.TryParseEndpoint(entry, 53, out var endPoint))
            {
                servers.Add(new ResolverInfo(endPoint.ToString(), endPoint, "previous", entry, Authoritative: true));
                continue;
            }

            foreach (var address in await _probe.AddressesAsync(entry, resolvers, timeout, cancellationToken))
            {
                servers.Add(new ResolverInfo(entry, new IPEndPoint(address, 53), "previous", entry, Authoritative: true));
            }
        }

        using var concurrency = new SemaphoreSlim(16);
        var answers = await new PropagationPoller(querier, time).PollAsync(name, hosts, types, classifier, servers, timeout, concurrency, cancellationToken);
        var asked = current.Count > 0 ? current : resolvers;
        var zone = await _probe.ZoneAsync(hosts[0], current, resolvers, timeout, cancellationToken);
        var parent = zone is null ? null : DelegationProbe.Parent(zone);
        var parentServers = parent is null ? [] : await _probe.ParentServersAsync(parent, parentOverride, resolvers, timeout, cancellationToken);
        var (parentNames, ttl, error) = zone is null
            ? ([], null, $"the zone of {hosts[0]} was not found (no SOA)")
            : await _probe.ReferralAsync(zone, parentServers, timeout, cancellationToken);
        IReadOnlyList<string> currentNames = zone is null ? [] : await _probe.ZoneNameServersAsync(zone, asked, timeout, cancellationToken);
        return new DelegationSnapshot(zone, parent, [.. parentServers.Select(p => p.ToString())], parentNames, ttl, error, currentNames,
            [.. previous], DelegationSnapshot.FromConfig, answers.Resolvers);
    }
}
