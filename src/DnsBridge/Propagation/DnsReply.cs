using DnsBridge.Propagation.Wire;
using DnsClient;
using DnsClient.Protocol;

namespace DnsBridge.Propagation;

/// <summary>
/// A response as the monitor reads it, whichever stack decoded it (the codec of <see cref="Wire"/> or DnsClient):
/// the two are adapted to this view so that one rule (<see cref="Observe"/>) says what an answer means.
/// </summary>
/// <param name="RcodeText">The response code as that stack names it: the detail of an <c>other_rcode</c> failure.</param>
/// <param name="Addresses">Every A and AAAA record of the answer section with its type and TTL.</param>
/// <param name="Soa">The first SOA of the authority section, else of the answer section: a negative answer's TTL and the zone's serial.</param>
internal sealed record DnsReply(
    string? QuestionName,
    ushort QuestionType,
    int ResponseCode,
    string RcodeText,
    bool Authoritative,
    IReadOnlyList<(ushort Type, string Address, int Ttl)> Addresses,
    IReadOnlyList<string> Cnames,
    (int Ttl, long Minimum, long Serial)? Soa)
{
    public static DnsReply From(DnsResponse response)
    {
        var soa = response.Authorities.Concat(response.Answers).FirstOrDefault(r => r.Soa is not null);
        return new(response.QuestionName, response.QuestionType, response.ResponseCode, RcodeName(response.ResponseCode), response.Authoritative,
            [.. response.Answers.Where(r => r.Type is DnsWire.TypeA or DnsWire.TypeAaaa).Select(r => (r.Type, r.Data!, r.Ttl))],
            [.. response.Answers.Where(r => r.Type == DnsWire.TypeCname).Select(r => r.Data!)],
            soa is null ? null : (soa.Ttl, soa.Soa!.Minimum, soa.Soa.Serial));
    }

    public static DnsReply From(IDnsQueryResponse response)
    {
        var question = response.Questions.Count > 0 ? response.Questions[0] : null;
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault() ?? response.Answers.OfType<SoaRecord>().FirstOrDefault();
        return new(question?.QueryName.Value, (ushort)(question?.QuestionType ?? 0), (int)response.Header.ResponseCode, response.Header.ResponseCode.ToString(), response.Header.HasAuthorityAnswer,
            [.. response.Answers.OfType<AddressRecord>().Select(a => ((ushort)(a is ARecord ? QueryType.A : QueryType.AAAA), a.Address.ToString(), a.InitialTimeToLive))],
            [.. response.Answers.OfType<CNameRecord>().Select(c => c.CanonicalName.Value)],
            soa is null ? null : (soa.InitialTimeToLive, soa.Minimum, soa.Serial));
    }

    /// <summary>
    /// What the reply says to the question <paramref name="name"/>/<paramref name="type"/>: the addresses and CNAMEs,
    /// NXDOMAIN or NODATA with the negative TTL, or a failure reason for any other response code or another question.
    /// </summary>
    public DnsObservation Observe(string name, QueryType type, TimeSpan latency)
    {
        if (QuestionName is null || QuestionType != (ushort)type
            || !string.Equals(QuestionName.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
        {
            return DnsObservation.Failed(DnsFailureReason.Malformed, "answer does not match the question", latency);
        }

        int? negativeTtl = Soa is { } soa ? (int)Math.Min(soa.Ttl, soa.Minimum) : null;
        var serial = Soa?.Serial;
        switch (ResponseCode)
        {
            case 0:
                break;
            case 3:
                return DnsObservation.NxDomain(negativeTtl, Authoritative, serial, latency);
            case 2:
                return DnsObservation.Failed(DnsFailureReason.Servfail, "SERVFAIL", latency);
            case 5:
                return DnsObservation.Failed(DnsFailureReason.Refused, "REFUSED", latency);
            default:
                return DnsObservation.Failed(DnsFailureReason.OtherRcode, RcodeText, latency);
        }

        var addresses = Addresses.Where(a => a.Type == (ushort)type).ToList();
        var cnames = Cnames.Select(c => c.TrimEnd('.').ToLowerInvariant()).ToList();
        if (addresses.Count == 0 && cnames.Count == 0)
        {
            return DnsObservation.NoData(negativeTtl, Authoritative, serial, latency);
        }

        int? ttl = addresses.Count == 0 ? null : addresses.Min(a => a.Ttl);
        return DnsObservation.Answered([.. addresses.Select(a => a.Address).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], cnames, ttl, Authoritative, serial, latency);
    }

    private static string RcodeName(int code) => code switch
    {
        1 => "FORMERR",
        4 => "NOTIMP",
        16 => "BADVERS",
        _ => $"RCODE {code}",
    };
}
