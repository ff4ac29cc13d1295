using System.Globalization;
using System.Text;
using DnsBridge.Escaping;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Delegation;

namespace DnsBridge.Cli;

/// <summary>
/// The delegation lines under <c>check</c>'s table, when previous name servers were given. Name-server names, answers
/// and errors are what DNS servers said: their control characters are shown escaped, never sent to the terminal.
/// </summary>
internal static class CheckDelegation
{
    public static string Table(DelegationSnapshot? d)
    {
        if (d is null)
        {
            return "";
        }

        var ttl = d.ParentNsTtl is { } known ? $"NS TTL {known} s" : $"NS TTL unknown ({DelegationSnapshot.AssumedParentNsTtl} s assumed)";
        var parent = Untrusted.Escape(d.ParentNameServers.Count > 0 ? string.Join(", ", d.ParentNameServers) : d.ParentError);
        var text = new StringBuilder().AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"delegation of {Untrusted.Escape(d.Zone ?? "?")} at {Untrusted.Escape(d.ParentZone ?? "?")}: {parent}, {ttl}")
            .AppendLine(CultureInfo.InvariantCulture, $"current NS set: {Untrusted.Escape(string.Join(", ", d.CurrentNameServers))}{(d.NsSetsDiffer == true ? "  (differs from the parent's: lame or inconsistent delegation)" : "")}")
            .AppendLine(CultureInfo.InvariantCulture, $"previous NS set: {Untrusted.Escape(string.Join(", ", d.PreviousNameServers))}");
        foreach (var r in d.Previous)
        {
            var says = r.Error ?? (r.Addresses.Count > 0 ? string.Join(",", r.Addresses) : r.Detail ?? "");
            text.AppendLine(Untrusted.Escape(string.Create(CultureInfo.InvariantCulture, $"  {r.Resolver.Name} ({r.Resolver.Address}): {PropagationMetrics.Label(r.Answer)} {says}").TrimEnd()));
        }

        text.AppendLine(d.OldDelegationCachedUntil is { } until
            ? string.Create(CultureInfo.InvariantCulture, $"resolvers that cached the old delegation may ask the previous servers until {until:yyyy-MM-dd HH:mm:ss} UTC (switch + parent NS TTL)")
            : "the record has not switched yet: old delegations may be cached until the switch + the parent NS TTL");
        if (d.PreviousAnswersSource)
        {
            text.AppendLine("a previous server still answers the source: update the record at the old provider too, or keep its zone until then");
        }

        return text.ToString();
    }
}
