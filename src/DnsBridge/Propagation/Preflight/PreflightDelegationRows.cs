using System.Globalization;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Preflight;
using DnsBridge.Propagation.Delegation;

namespace DnsBridge.Propagation.Preflight;

/// <summary>
/// The checklist rows of a cutover that also moves DNS provider (<c>Dns:PreviousNameServers</c>): does each previous
/// server answer what the current ones answer, how long the parent lets resolvers keep the old delegation, and do the
/// parent and the zone name the same servers.
/// </summary>
internal sealed class PreflightDelegationRows(DnsQuerier querier, TimeProvider time)
{
    /// <summary>Above a day, old delegations outlive a reasonable cutover window (172800 s is common for TLDs).</summary>
    public const int ParentTtlWarnSeconds = 86400;

    public async Task<IReadOnlyList<PreflightResult>> CheckAsync(DnsBridgeConfig config, CutoverConfig cutover, IReadOnlyList<(string Name, IPEndPoint EndPoint)> authoritative,
        IReadOnlyList<ResolverInfo> recursive, CancellationToken cancellationToken)
    {
        var timeout = config.Propagation.Timeout;
        var classifier = AnswerClassifier.For(cutover);
        IReadOnlyList<ResolverInfo> currentServers = authoritative.Count > 0
            ? [.. authoritative.Select(a => new ResolverInfo(a.Name, a.EndPoint, "authoritative", a.Name, Authoritative: true))]
            : recursive;
        using var concurrency = new SemaphoreSlim(Math.Max(1, config.Propagation.Concurrency));
        var current = (await new PropagationPoller(querier, time).PollAsync(cutover.Name, cutover.Hosts, cutover.Dns.Types, classifier, currentServers, timeout, concurrency, cancellationToken))
            .Resolvers.Where(r => r.Answer != ResolverAnswer.Error).ToList();
        IReadOnlyList<IPEndPoint> parents = [.. cutover.Dns.ParentNameServers.Select(p => ConfigParsers.TryParseEndpoint(p, 53, out var e) ? e : null).OfType<IPEndPoint>()];
        var delegation = await new DelegationCheck(querier, time).RunAsync(cutover.Name, cutover.Hosts, cutover.Dns.Types, classifier, cutover.Dns.PreviousNameServers,
            [.. authoritative.Select(a => a.EndPoint)], ResolverInfo.PlainEndPoints(recursive), parents, timeout, cancellationToken);

        var rows = new List<PreflightResult>();
        var currentAnswer = current.Count == 0 ? (ResolverAnswer?)null : PropagationPoller.Worst(current.Select(r => r.Answer));
        var currentSays = Says(current);
        var now = time.GetUtcNow();
        var until = now.AddSeconds(delegation.EffectiveParentNsTtl);
        foreach (var previous in delegation.Previous)
        {
            rows.Add(Previous(cutover.Name, previous, currentAnswer, currentSays, until));
        }

        if (delegation.Previous.Count == 0)
        {
            rows.Add(new(cutover.Name, "dns", "previous name server", string.Join(", ", cutover.Dns.PreviousNameServers), PreflightStatus.Warn,
                "no address found for the previous name servers", "check Dns:PreviousNameServers: the old provider's servers cannot be watched"));
        }

        rows.Add(ParentTtl(cutover.Name, delegation, until));
        if (delegation.NsSetsDiffer is { } differ)
        {
            rows.Add(new(cutover.Name, "dns", "delegation consistency", delegation.Zone, differ ? PreflightStatus.Warn : PreflightStatus.Pass,
                differ
                    ? $"the parent {delegation.ParentZone} names {string.Join(", ", delegation.ParentNameServers)} but the zone lists {string.Join(", ", delegation.CurrentNameServers)}: a lame or inconsistent delegation"
                    : $"the parent {delegation.ParentZone} and the zone name the same servers ({string.Join(", ", delegation.CurrentNameServers)})",
                differ ? "make the NS records at the registrar (parent) and in the zone the same: resolvers use either set" : null));
        }

        return rows;
    }

    private static PreflightResult Previous(string cutover, ResolverResult previous, ResolverAnswer? currentAnswer, string currentSays, DateTimeOffset until)
    {
        const string Check = "previous name server";
        var subject = previous.Resolver.Name == previous.Resolver.Address ? previous.Resolver.Address : $"{previous.Resolver.Name} ({previous.Resolver.Address})";
        var says = Says([previous]);
        if (previous.Answer == ResolverAnswer.Error)
        {
            return new(cutover, "dns", Check, subject, PreflightStatus.Warn, $"did not answer ({previous.Error})",
                "resolvers that still hold the old delegation get no answer from it: keep the old provider's zone served until the parent NS TTL has passed");
        }

        if (previous.Answer == currentAnswer && says == currentSays)
        {
            return new(cutover, "dns", Check, subject, PreflightStatus.Pass, $"answers what the current servers answer ({says})", null);
        }

        var fix = $"update the record at the old provider too, or keep the old provider's zone until the parent NS TTL has passed (old delegations may be cached until {until:yyyy-MM-dd HH:mm} UTC if switched now)";
        return previous.Answer is ResolverAnswer.Source or ResolverAnswer.Mixed && currentAnswer == ResolverAnswer.Target
            ? new(cutover, "dns", Check, subject, PreflightStatus.Fail, $"still answers the source ({says}) after the switch (the current servers answer {currentSays})", fix)
            : new(cutover, "dns", Check, subject, PreflightStatus.Warn, $"answers {PropagationMetrics.Label(previous.Answer)} ({says}) while the current servers answer {currentSays}", fix);
    }

    private static PreflightResult ParentTtl(string cutover, DelegationSnapshot d, DateTimeOffset until)
    {
        const string Check = "parent ns ttl";
        if (d.ParentNsTtl is not { } ttl)
        {
            return new(cutover, "dns", Check, d.Zone, PreflightStatus.Warn, $"the parent's delegation could not be read: {d.ParentError}",
                $"assume {DelegationSnapshot.AssumedParentNsTtl} s (2 d), or set Dns:ParentNameServers to servers of the parent zone that this machine can reach");
        }

        var found = string.Create(CultureInfo.InvariantCulture, $"{d.ParentZone} delegates {d.Zone} to {string.Join(", ", d.ParentNameServers)} with NS TTL {ttl} s ({ttl / 3600.0:0.#} h)");
        return ttl > ParentTtlWarnSeconds
            ? new(cutover, "dns", Check, d.Zone, PreflightStatus.Warn, found,
                $"resolvers may keep the old delegation for {ttl / 86400.0:0.#} d: changed now, old delegations may be cached until {until:yyyy-MM-dd HH:mm} UTC; keep the old provider's zone answering the target until then")
            : new(cutover, "dns", Check, d.Zone, PreflightStatus.Pass, found, null);
    }

    private static string Says(IEnumerable<ResolverResult> results)
    {
        var list = results.ToList();
        var records = list.SelectMany(r => r.Cnames.Select(c => "CNAME " + c).Concat(r.Addresses)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return records.Count > 0 ? string.Join(", ", records) : string.Join(", ", list.Select(r => r.Detail ?? "no records").Distinct(StringComparer.Ordinal));
    }
}
