using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace DnsBridge.Propagation.Delegation;

/// <summary>
/// The DNS questions behind a delegation: which zone holds the host (the owner of its SOA), which servers serve the
/// parent zone, what the parent hands out for the zone (the NS records of its referral, with their TTL: how long a
/// resolver keeps the delegation) and which NS set the zone itself lists. Parent and zone servers are asked without
/// recursion, so the answer is theirs and not a resolver's cache.
/// </summary>
internal sealed class DelegationProbe(DnsQuerier querier)
{
    /// <summary>The zone that holds <paramref name="host"/>: asked of the zone's own servers first, then the resolvers.</summary>
    public async Task<string?> ZoneAsync(string host, IReadOnlyList<IPEndPoint> authoritative, IReadOnlyList<IPEndPoint> recursive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var (server, recursion) in authoritative.Select(a => (a, false)).Concat(recursive.Take(3).Select(r => (r, true))))
        {
            var (response, _) = await querier.RawAsync(server, host, QueryType.SOA, recursion, timeout, cancellationToken);
            if (response?.Answers.OfType<SoaRecord>().Concat(response.Authorities.OfType<SoaRecord>()).FirstOrDefault() is { } soa)
            {
                return Name(soa.DomainName);
            }
        }

        return null;
    }

    /// <summary>The parent zone of <paramref name="zone"/> (null for a top-level domain: the root is not watched).</summary>
    public static string? Parent(string zone) => zone.IndexOf('.', StringComparison.Ordinal) is var dot and > 0 ? zone[(dot + 1)..] : null;

    /// <summary>The parent's servers, from the override or its NS records through the resolvers (always port 53).</summary>
    public async Task<IReadOnlyList<IPEndPoint>> ParentServersAsync(string parent, IReadOnlyList<IPEndPoint> overrides, IReadOnlyList<IPEndPoint> recursive, TimeSpan timeout, CancellationToken cancellationToken) =>
        overrides.Count > 0 ? overrides : [.. (await querier.FindAuthoritativeAsync(parent, recursive, timeout, cancellationToken)).Select(s => s.EndPoint)];

    /// <summary>The delegation as the parent gives it: NS names and their TTL from the first parent server that answers.</summary>
    public async Task<(IReadOnlyList<string> Names, int? Ttl, string? Error)> ReferralAsync(string zone, IReadOnlyList<IPEndPoint> parentServers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var error = parentServers.Count == 0 ? "no parent servers found" : null;
        foreach (var server in parentServers)
        {
            var (response, failed) = await querier.RawAsync(server, zone, QueryType.NS, recursion: false, timeout, cancellationToken);
            var ns = response is null ? [] : response.Authorities.NsRecords().Concat(response.Answers.NsRecords())
                .Where(n => string.Equals(Name(n.DomainName), zone, StringComparison.OrdinalIgnoreCase)).ToList();
            if (ns.Count > 0)
            {
                return ([.. ns.Select(n => Name(n.NSDName)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], ns.Min(n => n.InitialTimeToLive), null);
            }

            error = $"{server}: {failed ?? "no NS records for " + zone + " in its answer"}";
        }

        return ([], null, error);
    }

    /// <summary>The NS set the zone lists itself, from the first of its servers that answers.</summary>
    public async Task<IReadOnlyList<string>> ZoneNameServersAsync(string zone, IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var server in servers)
        {
            var (response, _) = await querier.RawAsync(server, zone, QueryType.NS, recursion: false, timeout, cancellationToken);
            if (response?.Answers.NsRecords().Select(n => Name(n.NSDName)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } names)
            {
                return names;
            }
        }

        return [];
    }

    /// <summary>A previous server given by name: its addresses through the resolvers, else the system resolver.</summary>
    public async Task<IReadOnlyList<IPAddress>> AddressesAsync(string host, IReadOnlyList<IPEndPoint> recursive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var resolver in recursive.Take(3))
        {
            var found = await querier.QueryAsync(resolver, host, QueryType.A, recursion: true, timeout, cancellationToken);
            if (found.Addresses.Count > 0)
            {
                return [.. found.Addresses.Select(IPAddress.Parse)];
            }
        }

        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return [];
        }
    }

    private static string Name(DnsString name) => name.Value.TrimEnd('.').ToLowerInvariant();
}
