using DnsBridge.Admin;

namespace DnsBridge.Cli;

// check --json: what scripts read (field names are the contract; camel-cased property names).

/// <summary>One host checked: the share on target, and every resolver's row.</summary>
internal sealed record CheckDocument(string Host, double Propagation, bool AuthoritativeUnreachable, IReadOnlyList<CheckResolverRow> Resolvers, DelegationDocument? Delegation);

/// <summary>No authoritative server answered: nothing to compare with, so no propagation and no rows.</summary>
internal sealed record CheckUnreachableDocument(string Host, double? Propagation, bool AuthoritativeUnreachable, IReadOnlyList<CheckServerRow> AuthoritativeUnreachableServers, IReadOnlyList<CheckResolverRow> Resolvers);

internal sealed record CheckServerRow(string Name, string Resolver, string Error);

/// <summary>A resolver's row in <c>check --json</c>: a subset of its <see cref="ResolverRow"/>, <c>error</c> being its failure.</summary>
internal sealed class CheckResolverRow(ResolverRow row)
{
    public string Name => row.Name;

    public string Resolver => row.Resolver;

    public string Region => row.Region;

    public string Transport => row.Transport;

    public string? Pop => row.Pop;

    public string? ClientSubnet => row.ClientSubnet;

    public int? SubnetScope => row.SubnetScope;

    public bool IgnoresClientSubnet => row.IgnoresClientSubnet;

    public string Vantage => row.Vantage;

    public string Answer => row.Answer;

    public IReadOnlyList<string> Addresses => row.Addresses;

    public int? Ttl => row.Ttl;

    public string? Error => row.Failure;
}
