using System.Net;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation;

/// <summary>
/// Judges an observation against what a switched resolver should say: the expected addresses (as a set: a
/// target that is a pool of IPs matches when every address is one of them) or the expected CNAME anywhere in
/// the chain; <c>source</c> when only source addresses come back.
/// </summary>
internal sealed class AnswerClassifier
{
    private readonly HashSet<IPAddress> _expected;
    private readonly HashSet<string> _expectedCnames;
    private readonly HashSet<IPAddress> _sources;

    public AnswerClassifier(IEnumerable<string> expect, IEnumerable<string> expectCnames, IEnumerable<string> sources)
    {
        _expected = [.. expect.Select(IPAddress.Parse)];
        _expectedCnames = new HashSet<string>(expectCnames.Select(c => c.TrimEnd('.').ToLowerInvariant()), StringComparer.Ordinal);
        _sources = [.. sources.Select(IPAddress.Parse)];
    }

    public static AnswerClassifier For(CutoverConfig cutover) => new(cutover.Dns.Expect, cutover.Dns.ExpectCname, cutover.SourceAddresses);

    /// <summary>
    /// A rolled-back cutover: DNS is on its way back, so the source addresses are what a resolver should answer and the
    /// target addresses are the stale ones; the ratio then shows how far the rollback has propagated.
    /// </summary>
    public static AnswerClassifier ForRollback(CutoverConfig cutover) => new(cutover.SourceAddresses, [], cutover.Dns.Expect);

    public ResolverAnswer Classify(DnsObservation observation)
    {
        if (observation.Error is not null)
        {
            return ResolverAnswer.Error;
        }

        if (_expectedCnames.Count > 0 && observation.Cnames.Any(_expectedCnames.Contains))
        {
            return ResolverAnswer.Target;
        }

        if (observation.Addresses.Count == 0)
        {
            // NXDOMAIN / NODATA: recorded in the detail.
            return ResolverAnswer.Other;
        }

        int expected = 0, source = 0, other = 0;
        foreach (var raw in observation.Addresses)
        {
            var address = IPAddress.Parse(raw);
            if (_expected.Contains(address))
            {
                expected++;
            }
            else if (_sources.Contains(address))
            {
                source++;
            }
            else
            {
                other++;
            }
        }

        return (expected, source, other) switch
        {
            ( > 0, 0, 0) => ResolverAnswer.Target,
            (0, > 0, 0) => ResolverAnswer.Source,
            ( > 0, > 0, 0) => ResolverAnswer.Mixed,
            _ => ResolverAnswer.Other,
        };
    }
}
