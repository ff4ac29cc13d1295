using System.Globalization;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Preflight;
using DnsClient;

namespace DnsBridge.Propagation.Preflight;

/// <summary>
/// The DNS rows of the pre-cutover checklist, asked of the same servers the propagation monitor will watch: do
/// the zone's authoritative servers agree (answers and SOA serials), how long the record that will change is
/// cached (its TTL bounds how long residual traffic lasts), what it points at now, which CNAME chain leads to
/// it, and whether enough of the recursive resolvers answer for the propagation view to see anything.
/// </summary>
internal sealed class PreflightDnsChecks(DnsQuerier querier, TimeProvider? time = null) : IPreflightDnsChecks
{
    /// <summary>Above this TTL stale caches keep clients at the source for long: lower it ahead of the switch.</summary>
    public const int TtlWarnSeconds = 300;

    /// <summary>Above a day, residual traffic would outlive any reasonable cutover window.</summary>
    public const int TtlFailSeconds = 86400;

    /// <summary>Below this share of answering recursive resolvers the propagation view is mostly blind.</summary>
    public const double CoverageWarn = 0.8;

    public async Task<IReadOnlyList<PreflightResult>> CheckAsync(DnsBridgeConfig config, CutoverConfig cutover, CancellationToken cancellationToken)
    {
        var timeout = config.Propagation.Timeout;
        var recursive = ResolverCatalog.Build(config.Resolvers, config.Propagation.Transport);
        var classifier = AnswerClassifier.For(cutover);
        using var concurrency = new SemaphoreSlim(Math.Max(1, config.Propagation.Concurrency));
        var questions = cutover.Hosts.SelectMany(h => cutover.Dns.Types.Select(t => (Host: h, Type: t == "AAAA" ? QueryType.AAAA : QueryType.A))).ToList();

        // Every recursive resolver is asked every question at once: the coverage row needs them all, and they
        // are the fallback for the current answer when no authoritative server can be asked.
        var recursiveAnswers = await Task.WhenAll(questions.Select(async q =>
            (q, Observations: await Task.WhenAll(recursive.Select(r => querier.AskAsync(new ResolverQuestion(r.Via, r.Subnet, config.Propagation.HttpProxy, config.Propagation.CaFile), q.Host, q.Type, recursion: true, timeout, concurrency, cancellationToken))))));

        var results = new List<PreflightResult>();
        var authoritative = await AuthoritativeServersAsync(config, cutover, recursive, timeout, cancellationToken);
        foreach (var (question, fromResolvers) in recursiveAnswers)
        {
            var subject = cutover.Dns.Types.Count > 1 ? $"{question.Host} {question.Type}" : question.Host;
            var fromServers = await Task.WhenAll(authoritative.Select(async s =>
                (Server: s.Name, Answer: await querier.QueryAsync(s.EndPoint, question.Host, question.Type, recursion: false, timeout, concurrency, cancellationToken),
                 Soa: await querier.QueryAsync(s.EndPoint, question.Host, QueryType.SOA, recursion: false, timeout, concurrency, cancellationToken))));
            results.Add(Agreement(cutover.Name, subject, authoritative.Count, fromServers));

            var answering = fromServers.Where(s => s.Answer.Error is null).Select(s => s.Answer).ToList();
            var fromAuthority = answering.Count > 0;
            var basis = fromAuthority ? answering : [.. fromResolvers.Where(o => o.Error is null)];
            results.Add(Ttl(cutover.Name, subject, basis, fromAuthority));
            results.Add(CurrentAnswer(cutover, subject, basis, fromAuthority, classifier));
            var chain = basis.Select(o => o.Cnames).FirstOrDefault(c => c.Count > 0);
            if (chain is not null)
            {
                results.Add(new PreflightResult(cutover.Name, "dns", "cname chain", subject, PreflightStatus.Pass,
                    $"{question.Host} → {string.Join(" → ", chain)}",
                    "the TTLs that bound residual traffic are those of every name in the chain: lower the one that changes"));
            }
        }

        results.Add(Coverage(cutover.Name, recursive.Count, recursiveAnswers.Select(a => a.Observations).ToList()));
        if (cutover.Dns.PreviousNameServers.Count > 0)
        {
            results.AddRange(await new PreflightDelegationRows(querier, time ?? TimeProvider.System).CheckAsync(config, cutover, authoritative, recursive, cancellationToken));
        }

        return results;
    }

    private async Task<IReadOnlyList<(string Name, IPEndPoint EndPoint)>> AuthoritativeServersAsync(
        DnsBridgeConfig config, CutoverConfig cutover, IReadOnlyList<ResolverInfo> recursive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (config.Resolvers.AuthoritativeServers.Count > 0)
        {
            return [.. ResolverCatalog.ConfiguredAuthoritative(config.Resolvers).Select(r => (r.Address, r.EndPoint))];
        }

        return config.Resolvers.Authoritative && recursive.Count > 0
            ? await querier.FindAuthoritativeAsync(cutover.Hosts[0], ResolverInfo.PlainEndPoints(recursive), timeout, cancellationToken)
            : [];
    }

    private static PreflightResult Agreement(string cutover, string subject, int configured,
        (string Server, DnsObservation Answer, DnsObservation Soa)[] servers)
    {
        const string Check = "authoritative agreement";
        if (configured == 0)
        {
            return new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Warn,
                "no authoritative server found for this name (NS lookup through the configured resolvers failed, or Resolvers:Authoritative is off)",
                "set Resolvers:AuthoritativeServers, or check that the resolvers answer: without them the monitor cannot tell what the zone says");
        }

        var silent = servers.Where(s => s.Answer.Error is not null).ToList();
        if (silent.Count == servers.Length)
        {
            return new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Fail,
                $"none of {servers.Length} authoritative servers answered: {string.Join("; ", silent.Select(s => $"{s.Server} {s.Answer.Error}"))}",
                "check Resolvers:AuthoritativeServers and that this machine may query them (UDP and TCP 53)");
        }

        var answering = servers.Where(s => s.Answer.Error is null).ToList();
        var answers = answering.GroupBy(s => Describe(s.Answer)).ToList();
        if (answers.Count > 1)
        {
            return new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Fail,
                $"authoritative servers disagree: {string.Join("; ", answering.Select(s => $"{s.Server} {Describe(s.Answer)}"))}",
                "fix the zone on every server (or the zone transfer) before the switch: resolvers would get either answer at random");
        }

        var serials = answering.Select(s => (s.Server, s.Soa.SoaSerial)).ToList();
        var distinct = serials.Where(s => s.SoaSerial is not null).Select(s => s.SoaSerial).Distinct().ToList();
        var silentNote = silent.Count > 0 ? $"; {silent.Count} did not answer ({string.Join(", ", silent.Select(s => $"{s.Server} {s.Answer.Error}"))})" : "";
        if (distinct.Count > 1)
        {
            return new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Warn,
                $"answers agree ({answers[0].Key}) but SOA serials differ: {string.Join(", ", serials.Select(s => $"{s.Server} {s.SoaSerial?.ToString(CultureInfo.InvariantCulture) ?? "?"}"))}{silentNote}",
                "a secondary is behind: check NOTIFY/zone transfers, or the switch will reach only some servers");
        }

        var serial = distinct.Count == 1 ? $", SOA serial {distinct[0]}" : "";
        return new PreflightResult(cutover, "dns", Check, subject, silent.Count > 0 ? PreflightStatus.Warn : PreflightStatus.Pass,
            $"{answering.Count} of {servers.Length} authoritative servers agree: {answers[0].Key}{serial}{silentNote}",
            silent.Count > 0 ? "an authoritative server that does not answer slows every resolver's refresh: check it" : null);
    }

    private static PreflightResult Ttl(string cutover, string subject, List<DnsObservation> basis, bool fromAuthority)
    {
        const string Check = "record ttl";
        var ttls = basis.Where(o => o.Ttl is not null).Select(o => o.Ttl!.Value).ToList();
        if (ttls.Count == 0)
        {
            return new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Warn,
                "no answer to read a TTL from", "the TTL bounds how long residual traffic lasts: check it by hand before the switch");
        }

        var ttl = ttls.Max();
        var where = fromAuthority ? "as the authoritative servers give it" : "as cached by the recursive resolvers (the zone's own TTL may be higher)";
        var found = $"{ttl} s ({Format(TimeSpan.FromSeconds(ttl))}) {where}";
        return ttl > TtlFailSeconds
            ? new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Fail, found,
                $"lower the TTL to {TtlWarnSeconds} s now and switch no earlier than {Format(TimeSpan.FromSeconds(ttl))} later: stale caches would send clients to the source for that long")
            : ttl > TtlWarnSeconds
                ? new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Warn, found,
                    $"lower the TTL to {TtlWarnSeconds} s a day ahead of the switch (at least {Format(TimeSpan.FromSeconds(ttl))} ahead) so stale caches expire fast")
                : new PreflightResult(cutover, "dns", Check, subject, PreflightStatus.Pass, found, null);
    }

    private static PreflightResult CurrentAnswer(CutoverConfig cutover, string subject, List<DnsObservation> basis, bool fromAuthority, AnswerClassifier classifier)
    {
        const string Check = "current answer";
        if (basis.Count == 0)
        {
            return new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Warn,
                "no server answered", "check the name and the resolvers; the monitor cannot see the switch without answers");
        }

        // The most common answer: the authoritative servers agree (or the agreement row says they do not); recursive
        // resolvers may be mid-refresh.
        var answer = basis.GroupBy(Describe).OrderByDescending(g => g.Count()).First();
        var observation = answer.First();
        var verdict = classifier.Classify(observation);
        var who = fromAuthority ? "the authoritative servers" : "the resolvers";
        var sources = string.Join(", ", cutover.SourceAddresses);
        return (verdict, observation.Detail) switch
        {
            (_, DnsObservation.NxDomainDetail) => new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Fail,
                $"{who} say the name does not exist (NXDOMAIN)", "check Hosts: only names that exist can be cut over"),
            (ResolverAnswer.Source, _) => new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Pass,
                $"{who} point at the source ({answer.Key}), as expected before the switch", null),
            (ResolverAnswer.Target, _) => new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Warn,
                $"{who} ALREADY point at the target ({answer.Key}): the DNS switch has been made",
                "if that was not planned, find out who changed the record; otherwise watch propagation with the status page or `dnsbridge check`"),
            (ResolverAnswer.Mixed, _) => new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Warn,
                $"{who} answer both source and target addresses ({answer.Key}): clients split between them",
                "finish the switch (target addresses only) or roll it back"),
            _ => new PreflightResult(cutover.Name, "dns", Check, subject, PreflightStatus.Fail,
                $"{who} point at neither the source ({(sources.Length == 0 ? "none configured" : sources)}) nor the target ({answer.Key})",
                "set SourceAddresses to what the record points at now, or check Hosts: otherwise residual answers are not recognised as stale"),
        };
    }

    private static PreflightResult Coverage(string cutover, int configured, List<DnsObservation[]> perQuestion)
    {
        const string Check = "resolver coverage";
        if (configured == 0)
        {
            return new PreflightResult(cutover, "dns", Check, "0 resolvers", PreflightStatus.Warn,
                "no recursive resolver configured (Resolvers:Preset none and no Custom)", "add resolvers: the propagation view would be blind");
        }

        // A resolver counts as answering when it answered at least one question: a single lost packet is not blindness.
        var answering = Enumerable.Range(0, configured).Count(i => perQuestion.Any(q => q[i].Error is null));
        var share = (double)answering / configured;
        var errors = Enumerable.Range(0, configured).Where(i => perQuestion.All(q => q[i].Error is not null))
            .GroupBy(i => perQuestion[0][i].Error).Select(g => $"{g.Count()} {g.Key}");
        var found = $"{answering} of {configured} recursive resolvers answer ({share:P0})" + (answering < configured ? $"; no answer: {string.Join(", ", errors)}" : "");
        return share < CoverageWarn
            ? new PreflightResult(cutover, "dns", Check, $"{configured} resolvers", PreflightStatus.Warn, found,
                "the propagation view would be mostly blind: allow outbound DNS (UDP/TCP 53) to the resolvers, or configure reachable ones in Resolvers:Custom")
            : new PreflightResult(cutover, "dns", Check, $"{configured} resolvers", PreflightStatus.Pass, found, null);
    }

    private static string Describe(DnsObservation observation) =>
        observation.Addresses.Count > 0 ? string.Join(", ", observation.Addresses)
        : observation.Cnames.Count > 0 ? "CNAME " + string.Join(" → ", observation.Cnames)
        : observation.Detail ?? "no records";

    private static string Format(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{span.TotalDays:0.#} d" : span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
