using DnsBridge.Events;
using DnsBridge.Propagation;

namespace DnsBridge.Admin;

/// <summary>
/// The <c>propagation.delegation</c> block of the API (and of <c>check --json</c>): parent and child NS sets, the
/// parent's NS TTL, each previous server's answer, and until when old delegations may be cached. The window counts
/// from the stored switch time when there is one, as the drain rule does.
/// </summary>
public static class DelegationView
{
    public static object? Of(DelegationSnapshot? d, DrainStatus? status = null)
    {
        if (d is null)
        {
            return null;
        }

        var switchedAt = status?.DnsSwitchedAt ?? d.SwitchedAt;
        return new
        {
            zone = d.Zone,
            parentZone = d.ParentZone,
            parentServers = d.ParentServers,
            parentNameServers = d.ParentNameServers,
            parentNsTtl = d.ParentNsTtl,
            parentNsTtlAssumed = d.ParentNsTtl is null,
            parentError = d.ParentError,
            currentNameServers = d.CurrentNameServers,
            previousNameServers = d.PreviousNameServers,
            previousFrom = d.PreviousFrom,
            nsSetsDiffer = d.NsSetsDiffer,
            previousAnswersSource = d.PreviousAnswersSource,
            switchedAt,
            oldDelegationCachedUntil = d.CachedUntil(switchedAt),
            previous = d.Previous.Select(r => new
            {
                name = r.Resolver.Name,
                server = r.Resolver.Address,
                answer = PropagationMetrics.Label(r.Answer),
                addresses = r.Addresses,
                cnames = r.Cnames,
                ttl = r.Ttl,
                error = r.Error,
                detail = r.Detail,
                soaSerial = r.SoaSerial,
            }),
        };
    }
}
