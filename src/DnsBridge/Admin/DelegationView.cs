using DnsBridge.Events;
using DnsBridge.Propagation.Delegation;

namespace DnsBridge.Admin;

/// <summary>
/// The <c>propagation.delegation</c> block of the API (and of <c>check --json</c>): parent and child NS sets, the
/// parent's NS TTL, each previous server's answer, and until when old delegations may be cached. The window counts
/// from the stored switch time when there is one, as the drain rule does.
/// </summary>
internal static class DelegationView
{
    public static DelegationDocument? Of(DelegationSnapshot? d, DrainStatus? status = null)
    {
        if (d is null)
        {
            return null;
        }

        var switchedAt = status?.DnsSwitchedAt ?? d.SwitchedAt;
        return new(
            Zone: d.Zone,
            ParentZone: d.ParentZone,
            ParentServers: d.ParentServers,
            ParentNameServers: d.ParentNameServers,
            ParentNsTtl: d.ParentNsTtl,
            ParentNsTtlAssumed: d.ParentNsTtl is null,
            ParentError: d.ParentError,
            CurrentNameServers: d.CurrentNameServers,
            PreviousNameServers: d.PreviousNameServers,
            PreviousFrom: d.PreviousFrom,
            NsSetsDiffer: d.NsSetsDiffer,
            PreviousAnswersSource: d.PreviousAnswersSource,
            SwitchedAt: switchedAt,
            OldDelegationCachedUntil: d.CachedUntil(switchedAt),
            Previous: [.. d.Previous.Select(r => new PreviousServerDocument(new ResolverRow(r)))]);
    }
}
