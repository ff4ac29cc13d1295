namespace DnsBridge.Admin;

/// <summary>The <c>propagation.delegation</c> block (see <see cref="DelegationView"/>); field names are the API's.</summary>
public sealed record DelegationDocument(
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

/// <summary>What one previous (pre-switch) name server answers.</summary>
public sealed record PreviousServerDocument(
    string Name,
    string Server,
    string Answer,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Cnames,
    int? Ttl,
    string? Error,
    string? Detail,
    long? SoaSerial);
