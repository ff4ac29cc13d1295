using DnsBridge.Admin;

namespace DnsBridge.Cli;

// check --json: what scripts read (field names are the contract; camel-cased property names).

/// <summary>One host checked: the share on target, and every resolver's row.</summary>
public sealed record CheckDocument(string Host, double Propagation, bool AuthoritativeUnreachable, IReadOnlyList<CheckResolverRow> Resolvers, DelegationDocument? Delegation);

/// <summary>No authoritative server answered: nothing to compare with, so no propagation and no rows.</summary>
public sealed record CheckUnreachableDocument(string Host, double? Propagation, bool AuthoritativeUnreachable, IReadOnlyList<CheckServerRow> AuthoritativeUnreachableServers, IReadOnlyList<CheckResolverRow> Resolvers);

public sealed record CheckServerRow(string Name, string Resolver, string Error);

public sealed record CheckResolverRow(
    string Name,
    string Resolver,
    string Region,
    string Transport,
    string? Pop,
    string? ClientSubnet,
    int? SubnetScope,
    bool IgnoresClientSubnet,
    string Vantage,
    string Answer,
    IReadOnlyList<string> Addresses,
    int? Ttl,
    string? Error);
