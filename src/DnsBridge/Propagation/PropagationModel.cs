using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Propagation.Delegation;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>What one resolver returned for one cutover (DESIGN.md vocabulary: resolver answer).</summary>
internal enum ResolverAnswer
{
    /// <summary>Only expected (target) addresses, or the expected CNAME.</summary>
    Target,

    /// <summary>Only source addresses: this resolver still sends clients to the source.</summary>
    Source,

    /// <summary>Both source and target addresses.</summary>
    Mixed,

    /// <summary>Anything else, NXDOMAIN and NODATA included (see <see cref="ResolverResult.Detail"/>).</summary>
    Other,

    /// <summary>No usable answer: timeout, SERVFAIL, REFUSED, malformed.</summary>
    Error,
}

/// <summary>
/// One resolver of the set: a public recursive resolver, a custom one, or an authoritative server of the zone. Only
/// resolvers with a <see cref="Location"/> appear on the status page's map. <see cref="EndPoint"/> is where plain DNS
/// reaches it (helper lookups: NS discovery, delegation); <see cref="Via"/> is how its row's questions travel.
/// </summary>
internal sealed record ResolverInfo(string Name, IPEndPoint EndPoint, string Region, string Operator, bool Authoritative, ResolverLocation? Location = null)
{
    /// <summary>The vantage of rows asked by this instance.</summary>
    public const string LocalVantage = "local";

    private readonly ResolverAddress? _via;

    /// <summary>The transport and address of this row's questions (plain DNS to <see cref="EndPoint"/> unless set).</summary>
    public ResolverAddress Via
    {
        get => _via ?? ResolverAddress.Plain(EndPoint);
        init => _via = value;
    }

    /// <summary>The client subnet this row asks "as if from" (RFC 7871); null: none.</summary>
    public ClientSubnet? Subnet { get; init; }

    /// <summary>The subnet's name (rows <c>RESOLVER@NAME</c>), or the subnet itself for a resolver's own; null: none.</summary>
    public string? SubnetName { get; init; }

    /// <summary>Whether the operator forwards client subnets: documented true/false, null (unknown) = probed.</summary>
    public bool? ForwardsClientSubnet { get; init; }

    /// <summary>
    /// The operator's identification question (<see cref="Propagation.PopQuery"/>) asked when the resolver sends no NSID;
    /// null: none. From the built-in catalog or the resolver's configuration, never guessed from the address.
    /// </summary>
    public string? PopQuery { get; init; }

    /// <summary>Which DnsBridge instance asked: <see cref="LocalVantage"/> or a configured remote vantage's name.</summary>
    public string Vantage { get; init; } = LocalVantage;

    /// <summary>How the row is reached as shown in the API, the JSON of <c>check</c> and the table: IP:PORT, tls://IP:PORT#NAME or the https URL.</summary>
    public string Address => Via.ToString();

    /// <summary>False for a DoH resolver known only by its URL: no address to ask plain-DNS helper questions.</summary>
    public bool HasPlainEndPoint => !EndPoint.Address.Equals(IPAddress.None);

    /// <summary>The plain-DNS endpoints of <paramref name="resolvers"/> (for NS discovery and delegation lookups).</summary>
    public static IReadOnlyList<IPEndPoint> PlainEndPoints(IEnumerable<ResolverInfo> resolvers) => [.. resolvers.Where(r => r.HasPlainEndPoint).Select(r => r.EndPoint)];

    /// <summary>A resolver reached at <paramref name="via"/>: plain DNS at the same IP on port 53 for helper lookups.</summary>
    public static ResolverInfo Reached(string name, ResolverAddress via, string region, string @operator) =>
        new(name, via.Transport == ResolverAddress.Udp ? via.EndPoint! : new IPEndPoint(via.EndPoint?.Address ?? IPAddress.None, 53), region, @operator, Authoritative: false) { Via = via };
}

/// <summary>The answer of one resolver for one cutover at one time (with the zone's SOA serial for an authoritative server).</summary>
internal sealed record ResolverResult(
    ResolverInfo Resolver,
    ResolverAnswer Answer,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Cnames,
    int? Ttl,
    string? Error,
    string? Detail,
    DateTimeOffset CheckedAt,
    TimeSpan Latency,
    long? SoaSerial = null)
{
    /// <summary>The answering site (NSID) when the resolver names one.</summary>
    public string? Pop { get; init; }

    /// <summary>The scope prefix of the echoed client subnet (0: valid for every client); null when none came back.</summary>
    public int? SubnetScope { get; init; }

    /// <summary>The resolver dropped the client subnet it was sent: its subnet rows would only repeat this one.</summary>
    public bool IgnoresClientSubnet { get; init; }

    /// <summary>The one row of a remote vantage that cannot be heard or is stale: it holds propagation complete.</summary>
    public bool VantageUnavailable { get; init; }
}

/// <summary>
/// One poll of one cutover across the resolver set. Produced by the propagation monitor, consumed by the drain
/// detector, the metrics, the API and the state store. <see cref="AuthoritativeDisagreement"/> names the authoritative
/// servers, what each says and its SOA serial when their answers differ (a secondary that missed the zone transfer).
/// <see cref="Authoritative"/> is null when no authoritative server was asked and <see cref="ResolverAnswer.Error"/>
/// when some were asked and none answered (<see cref="AuthoritativeUnreachable"/>).
/// </summary>
internal sealed record PropagationSnapshot(
    string Cutover,
    DateTimeOffset At,
    IReadOnlyList<ResolverResult> Resolvers,
    ResolverAnswer? Authoritative,
    double Ratio,
    DateTimeOffset? StaleUntil,
    bool Complete,
    string? AuthoritativeDisagreement = null,
    DelegationSnapshot? Delegation = null)
{
    /// <summary>Seconds until every stale cache must have expired (0 when none is stale).</summary>
    public double EtaSeconds => StaleUntil is { } until ? Math.Max(0, (until - At).TotalSeconds) : 0;

    /// <summary>
    /// Authoritative servers were asked and not one answered (typically a firewall that lets DNS out only to the
    /// site's own resolvers): the resolvers alone then decide the switch and completeness, as without authoritative
    /// servers, rather than leaving the cutover pending forever.
    /// </summary>
    public bool AuthoritativeUnreachable => Authoritative == ResolverAnswer.Error;

    /// <summary>
    /// The switch as DESIGN.md defines it: the authoritative servers answer the target. Without authoritative servers
    /// to ask, or when none of them answers (a firewall that lets DNS out only to the site's own resolvers), the first
    /// target answer of any resolver: waiting for a server that cannot be heard would keep the cutover pending forever.
    /// </summary>
    public bool Switched => Authoritative is { } authoritative && !AuthoritativeUnreachable
        ? authoritative == ResolverAnswer.Target
        : Resolvers.Any(r => !r.Resolver.Authoritative && r.Answer == ResolverAnswer.Target);

    /// <summary>
    /// This poll with its delegation: while a previous server answers the source within the old delegation's cache
    /// window, propagation is not complete and the ETA runs at least to the end of that window.
    /// </summary>
    public PropagationSnapshot WithDelegation(DelegationSnapshot? delegation, DateTimeOffset? switchedAt)
    {
        if (delegation is null)
        {
            return this with { Delegation = null };
        }

        delegation = delegation.At(switchedAt);
        return delegation.Holds(switchedAt, At)
            ? this with { Delegation = delegation, Complete = false, StaleUntil = StaleUntil > delegation.OldDelegationCachedUntil ? StaleUntil : delegation.OldDelegationCachedUntil }
            : this with { Delegation = delegation };
    }

    /// <summary>The silent authoritative servers with their errors (empty unless <see cref="AuthoritativeUnreachable"/>).</summary>
    public IEnumerable<ResolverResult> UnreachableAuthoritativeServers => AuthoritativeUnreachable ? Resolvers.Where(r => r.Resolver.Authoritative) : [];

    /// <summary>"name (address): error" per silent authoritative server, for log lines and event texts.</summary>
    public string DescribeUnreachableAuthoritative() =>
        string.Join(", ", UnreachableAuthoritativeServers.Select(r => r.Resolver.Name == $"auth {r.Resolver.Address}" ? $"{r.Resolver.Address}: {r.Error}" : $"{r.Resolver.Name} ({r.Resolver.Address}): {r.Error}"));
}
