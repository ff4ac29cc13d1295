using System.Net;
using DnsBridge.Propagation;
using DnsClient;

namespace DnsBridge.Cli;

/// <summary>
/// What <c>dnsbridge init</c> asks DNS before the switch: each host's answer today (the source addresses) and the zone's
/// name servers. Through the same <see cref="DnsQuerier"/> as <c>check</c>; nothing it cannot find stops it.
/// </summary>
internal static class InitLookup
{
    /// <summary>The machine's own resolvers (resolv.conf); none when they cannot be read.</summary>
    public static IReadOnlyList<IPEndPoint> SystemResolvers()
    {
        try
        {
            return [.. NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false)
                .Where(n => IPAddress.TryParse(n.Address, out _)).Select(n => new IPEndPoint(IPAddress.Parse(n.Address), n.Port))];
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.Net.NetworkInformation.NetworkInformationException)
        {
            return [];
        }
    }

    public static async Task<InitFindings> RunAsync(DnsQuerier querier, IReadOnlyList<IPEndPoint> resolvers, IReadOnlyList<string> hosts, TimeSpan timeout, CancellationToken ct)
    {
        var answers = new List<HostAnswer>();
        foreach (var host in hosts)
        {
            HostAnswer? found = null;
            foreach (var resolver in resolvers)
            {
                var answer = await querier.QueryAsync(resolver, host, QueryType.A, recursion: true, timeout, ct);
                found = new HostAnswer(host, answer.Addresses, answer.Error is null ? answer.Detail : $"{answer.Error} from {resolver}");
                if (answer.Error is null)
                {
                    break;
                }
            }

            answers.Add(found ?? new HostAnswer(host, [], "no resolver to ask"));
        }

        var servers = resolvers.Count == 0 ? [] : await querier.FindAuthoritativeAsync(hosts[0], resolvers, timeout, ct);
        return new InitFindings(answers, [.. servers.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).Select(g => new NameServerFound(g.Key, [.. g.Select(s => s.EndPoint.Address.ToString())]))]);
    }
}
