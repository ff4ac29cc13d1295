using System.Text.Json.Serialization;
using DnsBridge.Propagation;

namespace DnsBridge.Admin;

/// <summary>
/// One resolver's answer as every output shows it, each value derived once from a <see cref="ResolverResult"/>:
/// written as is, it is a row of the API's <c>propagation.resolvers</c> (these property names are the API's fields);
/// <see cref="PreviousServerDocument"/> and <c>check --json</c>'s rows show a subset of it, so the outputs cannot drift.
/// </summary>
internal sealed class ResolverRow(ResolverResult result)
{
    public string Name { get; } = result.Resolver.Name;

    public string Resolver { get; } = result.Resolver.Address;

    public string Region { get; } = result.Resolver.Region;

    public string Operator { get; } = result.Resolver.Operator;

    public string Transport { get; } = result.Resolver.Via.Transport;

    public string? Pop { get; } = result.Pop;

    public string? ClientSubnet { get; } = result.Resolver.Subnet?.ToString();

    public int? SubnetScope { get; } = result.SubnetScope;

    public bool IgnoresClientSubnet { get; } = result.IgnoresClientSubnet;

    public string Vantage { get; } = result.Resolver.Vantage;

    public bool Authoritative { get; } = result.Resolver.Authoritative;

    public string Answer { get; } = PropagationMetrics.Label(result.Answer);

    public IReadOnlyList<string> Addresses { get; } = result.Addresses;

    public IReadOnlyList<string> Cnames { get; } = result.Cnames;

    public int? Ttl { get; } = result.Ttl;

    public string? Error { get; } = result.Error;

    public string? Detail { get; } = result.Detail;

    public DateTimeOffset CheckedAt { get; } = result.CheckedAt;

    public double LatencyMs { get; } = Math.Round(result.Latency.TotalMilliseconds, 1);

    public long? SoaSerial { get; } = result.SoaSerial;

    public LocationDocument? Location { get; } = result.Resolver.Location is { } l ? new LocationDocument(l.City, l.Latitude, l.Longitude) : null;

    /// <summary>
    /// Why the row has no address in one word or phrase: the error, else the negative answer (NXDOMAIN, NODATA).
    /// <c>check --json</c> calls it <c>error</c>; the API has <see cref="Error"/> and <see cref="Detail"/> apart.
    /// </summary>
    [JsonIgnore]
    public string? Failure { get; } = result.Error ?? (result.Detail is DnsObservation.NxDomainDetail or DnsObservation.NoDataDetail ? result.Detail : null);
}
