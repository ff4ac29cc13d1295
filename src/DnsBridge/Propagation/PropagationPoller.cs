using System.Collections.Concurrent;
using DnsBridge.Configuration;
using DnsClient;

namespace DnsBridge.Propagation;

/// <summary>
/// One pass of one cutover over the resolver set and the authoritative servers: every host and record type of
/// the cutover is asked of every resolver, with at most <c>Concurrency</c> questions in flight (shared by all
/// cutovers), so a silent resolver costs its timeout and never delays the others. With client subnets, each
/// recursive resolver that may forward them is also asked once per subnet (rows <c>RESOLVER@NAME</c>); one that drops
/// the subnet is remembered and asked once, its row marked. With a <see cref="PacingPlan"/> (the monitor's passes), the
/// questions to each resolver address are paced by its <see cref="ResolverPacer"/>, shared by every cutover.
/// </summary>
internal sealed class PropagationPoller(DnsQuerier querier, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, bool> _ignoresSubnet = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string? Pop, DateTimeOffset At)> _pops = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResolverPacer> _pacers = new(StringComparer.Ordinal);

    /// <summary>Called after every single question (metrics).</summary>
    public Action<ResolverInfo, DnsObservation>? Observed { get; init; }

    public async Task<PropagationSnapshot> PollAsync(
        string cutover, IReadOnlyList<string> hosts, IReadOnlyList<string> types, AnswerClassifier classifier,
        IReadOnlyList<ResolverInfo> resolvers, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken, QuestionOptions? options = null,
        PacingPlan? pacing = null)
    {
        options ??= QuestionOptions.None;
        var queryTypes = types.Select(t => t == "AAAA" ? QueryType.AAAA : QueryType.A).ToArray();
        var tasks = resolvers.Select(r => RowsAsync(r, hosts, queryTypes, classifier, timeout, concurrency, options, Pace(r, pacing), cancellationToken)).ToArray();
        var results = await Task.WhenAll(tasks);
        return Summarize(cutover, time.GetUtcNow(), [.. results.SelectMany(r => r)]);
    }

    /// <summary>The pacer of the resolver's address (its subnet rows share it: the same server), with this pass's spacing for it.</summary>
    private (ResolverPacer Pacer, PacingPlan Plan, TimeSpan Spacing)? Pace(ResolverInfo resolver, PacingPlan? plan) =>
        plan is null ? null : (_pacers.GetOrAdd(resolver.Via.ToString(), _ => new ResolverPacer(time)), plan, plan.Spacing(resolver));

    /// <summary>Waits until a question to <paramref name="via"/> keeps the cap (one outside the rows: shares their pace).</summary>
    public Task PaceAsync(ResolverAddress via, int maxPerSecond, CancellationToken cancellationToken) =>
        _pacers.GetOrAdd(via.ToString(), _ => new ResolverPacer(time)).CapAsync(maxPerSecond, cancellationToken);

    /// <summary>One question, paced when the pass is.</summary>
    private Task<DnsObservation> AskOneAsync((ResolverPacer Pacer, PacingPlan Plan, TimeSpan Spacing)? pace, DateTimeOffset slot, ResolverQuestion question, string host, QueryType type,
        bool recursion, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken) =>
        pace is not { } p
            ? querier.AskAsync(question, host, type, recursion, timeout, concurrency, cancellationToken)
            : p.Pacer.AskAsync(slot, p.Plan.MaxPerSecond, concurrency, ct => querier.AskAsync(question, host, type, recursion, timeout, ct), cancellationToken);

    /// <summary>
    /// The resolver's own row, then one per client subnet unless it is known (or found) to drop them. Without an NSID,
    /// the operator's identification question (when the resolver has one) names the site for all its rows.
    /// </summary>
    private async Task<IReadOnlyList<ResolverResult>> RowsAsync(ResolverInfo resolver, IReadOnlyList<string> hosts, QueryType[] types, AnswerClassifier classifier,
        TimeSpan timeout, SemaphoreSlim concurrency, QuestionOptions options, (ResolverPacer Pacer, PacingPlan Plan, TimeSpan Spacing)? pace, CancellationToken cancellationToken)
    {
        var own = await AskAsync(resolver, hosts, types, classifier, timeout, concurrency, options, pace, cancellationToken);
        var pop = own.Pop ?? await IdentifyAsync(resolver, own, timeout, concurrency, options, pace, cancellationToken);
        own = own with { Pop = pop };
        if (resolver.Authoritative || resolver.Subnet is not null || options.Subnets.Count == 0 || resolver.ForwardsClientSubnet == false)
        {
            return [own];
        }

        if (_ignoresSubnet.TryGetValue(resolver.Name, out var ignores) && ignores)
        {
            return [own with { IgnoresClientSubnet = true }];
        }

        var rows = new List<ResolverResult> { own };
        foreach (var (name, subnet) in options.Subnets)
        {
            var row = await AskAsync(resolver with { Name = $"{resolver.Name}@{name}", Subnet = subnet, SubnetName = name }, hosts, types, classifier, timeout, concurrency, options, pace, cancellationToken);
            if (row.Answer != ResolverAnswer.Error && row.SubnetScope is null && resolver.ForwardsClientSubnet != true)
            {
                // No echo: the resolver dropped the subnet (RFC 7871 §7.2.1); every subnet row would repeat its own row.
                _ignoresSubnet[resolver.Name] = true;
                return [own with { IgnoresClientSubnet = true }];
            }

            rows.Add(row with { Pop = row.Pop ?? pop });
        }

        return rows;
    }

    /// <summary>The site named by the resolver's identification question, asked at most once per <see cref="QuestionOptions.PopRefresh"/>.</summary>
    private async Task<string?> IdentifyAsync(ResolverInfo resolver, ResolverResult own, TimeSpan timeout, SemaphoreSlim concurrency, QuestionOptions options,
        (ResolverPacer Pacer, PacingPlan Plan, TimeSpan Spacing)? pace, CancellationToken cancellationToken)
    {
        if (resolver.PopQuery is not { } kind || resolver.Authoritative || own.Answer == ResolverAnswer.Error)
        {
            return null;
        }

        var key = $"{resolver.Address}|{kind}";
        var now = time.GetUtcNow();
        if (_pops.TryGetValue(key, out var known) && now - known.At < options.PopRefresh)
        {
            return known.Pop;
        }

        var question = new ResolverQuestion(resolver.Via, null, options.HttpProxy, options.CaFile);
        var pop = pace is not { } p
            ? await querier.IdentifyAsync(question, kind, timeout, concurrency, cancellationToken)
            : await p.Pacer.AskAsync(p.Pacer.Reserve(p.Plan, p.Spacing, 1), p.Plan.MaxPerSecond, concurrency, ct => querier.IdentifyAsync(question, kind, timeout, ct), cancellationToken);
        _pops[key] = (pop, now);
        return pop;
    }

    private async Task<ResolverResult> AskAsync(ResolverInfo resolver, IReadOnlyList<string> hosts, QueryType[] types, AnswerClassifier classifier,
        TimeSpan timeout, SemaphoreSlim concurrency, QuestionOptions options, (ResolverPacer Pacer, PacingPlan Plan, TimeSpan Spacing)? pace, CancellationToken cancellationToken)
    {
        var question = new ResolverQuestion(resolver.Via, resolver.Subnet, options.HttpProxy, options.CaFile);
        var parts = new List<(ResolverAnswer Answer, DnsObservation Observation)>();
        var slot = pace is { } reserve ? reserve.Pacer.Reserve(reserve.Plan, reserve.Spacing, hosts.Count * types.Length) : default;
        foreach (var host in hosts)
        {
            foreach (var type in types)
            {
                var observation = await AskOneAsync(pace, slot, question, host, type, recursion: !resolver.Authoritative, timeout, concurrency, cancellationToken);
                slot += pace?.Spacing ?? TimeSpan.Zero;
                Observed?.Invoke(resolver, observation);
                parts.Add((classifier.Classify(observation), observation));
            }
        }

        var result = Combine(resolver, parts, time.GetUtcNow());
        if (!resolver.Authoritative || hosts.Count == 0 || result.Answer == ResolverAnswer.Error)
        {
            return result;
        }

        // The serial, shown beside each server's answer, tells operators which server is behind on the zone.
        var soaSlot = pace is { } p ? p.Pacer.Reserve(p.Plan, p.Spacing, 1) : default;
        var soa = await AskOneAsync(pace, soaSlot, question, hosts[0], QueryType.SOA, recursion: false, timeout, concurrency, cancellationToken);
        Observed?.Invoke(resolver, soa);
        return result with { SoaSerial = soa.SoaSerial };
    }

    /// <summary>
    /// A resolver's answer for the whole cutover is the least propagated of its answers for each host and type:
    /// one stale name is enough to keep sending clients to the source.
    /// </summary>
    private static ResolverResult Combine(ResolverInfo resolver, List<(ResolverAnswer Answer, DnsObservation Observation)> parts, DateTimeOffset at)
    {
        var answering = parts.Where(p => p.Answer != ResolverAnswer.Error).ToList();
        var latency = TimeSpan.FromTicks(parts.Count == 0 ? 0 : (long)parts.Average(p => p.Observation.Latency.Ticks));
        var pop = parts.Select(p => p.Observation.Pop).FirstOrDefault(p => p is not null);
        if (answering.Count == 0)
        {
            var failed = parts.FirstOrDefault().Observation;
            return new ResolverResult(resolver, ResolverAnswer.Error, [], [], null, failed?.Error ?? "no question", failed?.Detail, at, latency) { Pop = pop };
        }

        // The narrowest scope is what the row's answer holds for: a scope-0 part is valid for every client.
        var scopes = answering.Select(p => p.Observation.ClientSubnet?.ScopePrefixLength).OfType<byte>().ToList();

        var answer = Worst(answering.Select(p => p.Answer));
        var stale = answering.Where(p => p.Answer == answer).ToList();
        var ttls = stale.Select(p => p.Observation.Ttl).OfType<int>().ToList();
        return new ResolverResult(
            resolver,
            answer,
            [.. answering.SelectMany(p => p.Observation.Addresses).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. answering.SelectMany(p => p.Observation.Cnames).Distinct(StringComparer.Ordinal)],
            ttls.Count == 0 ? null : answer is ResolverAnswer.Source or ResolverAnswer.Mixed ? ttls.Max() : ttls.Min(),
            null,
            string.Join("; ", answering.Select(p => p.Observation.Detail).OfType<string>().Distinct(StringComparer.Ordinal)) is { Length: > 0 } d ? d : null,
            at,
            latency)
        {
            Pop = pop,
            SubnetScope = resolver.Subnet is null || scopes.Count == 0 ? null : scopes.Min(),
        };
    }

    internal static ResolverAnswer Worst(IEnumerable<ResolverAnswer> answers)
    {
        var set = answers.ToHashSet();
        return set.Contains(ResolverAnswer.Source) ? ResolverAnswer.Source
            : set.Contains(ResolverAnswer.Mixed) ? ResolverAnswer.Mixed
            : set.Contains(ResolverAnswer.Other) ? ResolverAnswer.Other
            : set.Contains(ResolverAnswer.Target) ? ResolverAnswer.Target
            : ResolverAnswer.Error;
    }

    /// <summary>Ratio, completeness and the time by which every stale cache must have expired.</summary>
    public static PropagationSnapshot Summarize(string cutover, DateTimeOffset at, IReadOnlyList<ResolverResult> results)
    {
        var recursive = results.Where(r => !r.Resolver.Authoritative).ToList();
        var authoritative = results.Where(r => r.Resolver.Authoritative).ToList();
        var answering = recursive.Where(r => r.Answer != ResolverAnswer.Error).ToList();
        var ratio = answering.Count == 0 ? 0 : answering.Count(r => r.Answer == ResolverAnswer.Target) / (double)answering.Count;

        // Error here means asked and none answered: the resolvers then decide on their own (see AuthoritativeUnreachable).
        ResolverAnswer? authoritativeAnswer = authoritative.Count == 0 ? null : Worst(authoritative.Select(r => r.Answer).Where(a => a != ResolverAnswer.Error).DefaultIfEmpty(ResolverAnswer.Error));
        var stale = recursive.Where(r => r.Answer is ResolverAnswer.Source or ResolverAnswer.Mixed && r.Ttl is not null).ToList();
        DateTimeOffset? staleUntil = stale.Count == 0 ? null : stale.Max(r => r.CheckedAt + TimeSpan.FromSeconds(r.Ttl!.Value));
        var complete = authoritativeAnswer is null or ResolverAnswer.Target or ResolverAnswer.Error
            && answering.Count > 0
            && answering.All(r => r.Answer == ResolverAnswer.Target)
            && !results.Any(r => r.VantageUnavailable);
        return new PropagationSnapshot(cutover, at, results, authoritativeAnswer, ratio, staleUntil, complete, Disagreement(authoritative));
    }

    /// <summary>
    /// Null while the answering authoritative servers give the same answer and addresses; else each server, what it
    /// says and its SOA serial. Serials alone do not count: zones served by several providers number them each their
    /// own way, and what keeps resolvers on the source is a different answer. Silent servers are errors in their own
    /// rows, not a disagreement.
    /// </summary>
    internal static string? Disagreement(IReadOnlyList<ResolverResult> authoritative)
    {
        var says = authoritative.Where(r => r.Answer != ResolverAnswer.Error).Select(r => (r.Resolver, Says: Describe(r))).ToList();
        if (says.Select(s => s.Says.Answer).Distinct(StringComparer.Ordinal).Count() <= 1)
        {
            return null;
        }

        return string.Join("; ", says.Select(s => $"{s.Resolver.Name} ({s.Resolver.Address}) {s.Says.Answer}, SOA serial {s.Says.Serial}"));
    }

    private static (string Answer, string Serial) Describe(ResolverResult r)
    {
        var what = r.Addresses.Count > 0 ? string.Join(", ", r.Addresses) : r.Cnames.Count > 0 ? string.Join(", ", r.Cnames) : r.Detail ?? "no records";
        return ($"{PropagationMetrics.Label(r.Answer)} {what}", r.SoaSerial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?");
    }
}
