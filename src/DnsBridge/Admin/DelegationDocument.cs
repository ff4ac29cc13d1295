namespace DnsBridge.Admin;

/// <summary>The <c>propagation.delegation</c> block (see <see cref="DelegationView"/>); field names are the API's.</summary>
internal sealed record DelegationDocument(
    string? Zone,
    string? ParentZone,
    IReadOnlyList<string> ParentServers,
    IReadOnlyList<string> ParentNameServers,
    int? ParentNsTtl,
    bool ParentNsTtlAssumed,
    string? ParentError,
    IReadOnlyList<string> CurrentNameServers,
    IReadOnlyList<string> PreviousNameServers,
    string PreviousFrom,
    bool? NsSetsDiffer,
    bool PreviousAnswersSource,
    DateTimeOffset? SwitchedAt,
    DateTimeOffset? OldDelegationCachedUntil,
    IReadOnlyList<PreviousServerDocument> Previous);

/// <summary>What one previous (pre-switch) name server answers: its <see cref="ResolverRow"/>, with <c>server</c> for the address.</summary>
internal sealed class PreviousServerDocument(ResolverRow row)
{
    public string Name => row.Name;

    public string Server => row.Resolver;

    public string Answer => row.Answer;

    public IReadOnlyList<string> Addresses => row.Addresses;

    public IReadOnlyList<string> Cnames => row.Cnames;

    public int? Ttl => row.Ttl;

    public string? Error => row.Error;

    public string? Detail => row.Detail;

    public long? SoaSerial => row.SoaSerial;
}
