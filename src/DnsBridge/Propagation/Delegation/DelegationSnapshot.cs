namespace DnsBridge.Propagation.Delegation;

/// <summary>
/// A delegation move seen in one poll (DESIGN.md "Delegation moves"): the zone and its parent, the NS set the parent
/// hands out with its TTL, the current and previous NS sets, and what each previous (old provider's) server answers.
/// Resolvers that cached the old delegation before the switch may ask the previous servers until
/// <see cref="OldDelegationCachedUntil"/> (switch time + the parent's NS TTL; null before the switch).
/// </summary>
internal sealed record DelegationSnapshot(
    string? Zone,
    string? ParentZone,
    IReadOnlyList<string> ParentServers,
    IReadOnlyList<string> ParentNameServers,
    int? ParentNsTtl,
    string? ParentError,
    IReadOnlyList<string> CurrentNameServers,
    IReadOnlyList<string> PreviousNameServers,
    string PreviousFrom,
    IReadOnlyList<ResolverResult> Previous,
    DateTimeOffset? SwitchedAt = null,
    DateTimeOffset? OldDelegationCachedUntil = null)
{
    /// <summary>
    /// What is assumed when the parent could not be asked: two days, the NS TTL of .com, .net and many other TLDs.
    /// Assuming less could declare propagation complete while old delegations are still cached.
    /// </summary>
    public const int AssumedParentNsTtl = 172800;

    public const string FromConfig = "config";
    public const string FromRemembered = "remembered";

    /// <summary>The parent's NS TTL, or <see cref="AssumedParentNsTtl"/> when the parent did not say.</summary>
    public int EffectiveParentNsTtl => ParentNsTtl ?? AssumedParentNsTtl;

    /// <summary>A previous server still sends clients to the source.</summary>
    public bool PreviousAnswersSource => Previous.Any(r => r.Answer is ResolverAnswer.Source or ResolverAnswer.Mixed);

    /// <summary>The previous servers whose answer is the source, as "name (address)".</summary>
    public IEnumerable<string> StalePrevious => Previous.Where(r => r.Answer is ResolverAnswer.Source or ResolverAnswer.Mixed)
        .Select(r => r.Resolver.Name == r.Resolver.Address ? r.Resolver.Address : $"{r.Resolver.Name} ({r.Resolver.Address})");

    /// <summary>Parent and child name different servers (a lame or inconsistent delegation); null when either is unknown.</summary>
    public bool? NsSetsDiffer => ParentNameServers.Count == 0 || CurrentNameServers.Count == 0 || CurrentNameServers.Any(n => n.Contains(':', StringComparison.Ordinal))
        ? null
        : !ParentNameServers.ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(CurrentNameServers);

    /// <summary>Switch time + the parent's NS TTL: until then a resolver may still hold the old delegation.</summary>
    public DateTimeOffset? CachedUntil(DateTimeOffset? switchedAt) => switchedAt + TimeSpan.FromSeconds(EffectiveParentNsTtl);

    /// <summary>
    /// The drain rule: propagation is not complete while a previous server answers the source and an old delegation
    /// may still be cached (from the switch until switch + parent NS TTL). Before the switch nothing holds.
    /// </summary>
    public bool Holds(DateTimeOffset? switchedAt, DateTimeOffset now) => PreviousAnswersSource && CachedUntil(switchedAt) is { } until && now < until;

    /// <summary>This delegation with its clock set from the switch time.</summary>
    public DelegationSnapshot At(DateTimeOffset? switchedAt) => this with { SwitchedAt = switchedAt, OldDelegationCachedUntil = CachedUntil(switchedAt) };
}
