using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>
/// What one server said to one question, before it is judged against the cutover's expectation. Built only through
/// the named outcomes below, so a negative answer cannot carry an error nor a failure an address.
/// </summary>
internal sealed record DnsObservation
{
    /// <summary>The <see cref="Detail"/> of a negative answer: the name does not exist.</summary>
    public const string NxDomainDetail = "NXDOMAIN";

    /// <summary>The <see cref="Detail"/> of a negative answer: the name exists without records of the type asked.</summary>
    public const string NoDataDetail = "NODATA";

    private DnsObservation(IReadOnlyList<string> addresses, IReadOnlyList<string> cnames, int? ttl, string? error, string? detail, bool authoritative, long? soaSerial, TimeSpan latency)
    {
        Addresses = addresses;
        Cnames = cnames;
        Ttl = ttl;
        Error = error;
        Detail = detail;
        Authoritative = authoritative;
        SoaSerial = soaSerial;
        Latency = latency;
    }

    public IReadOnlyList<string> Addresses { get; }

    public IReadOnlyList<string> Cnames { get; }

    /// <summary>The smallest TTL of the addresses; for a negative answer the negative TTL its SOA gives.</summary>
    public int? Ttl { get; }

    /// <summary>One of <see cref="DnsFailureReason"/> when no usable answer came back.</summary>
    public string? Error { get; }

    public string? Detail { get; }

    public bool Authoritative { get; }

    public long? SoaSerial { get; }

    public TimeSpan Latency { get; }

    /// <summary>The answering site as the server named it (NSID, RFC 5001); null when it names none.</summary>
    public string? Pop { get; init; }

    /// <summary>The client subnet the server echoed with its scope; null when none was sent or the server ignored it.</summary>
    public ClientSubnetEcho? ClientSubnet { get; init; }

    public static DnsObservation Answered(IReadOnlyList<string> addresses, IReadOnlyList<string> cnames, int? ttl, bool authoritative, long? soaSerial, TimeSpan latency) =>
        new(addresses, cnames, ttl, null, null, authoritative, soaSerial, latency);

    public static DnsObservation NxDomain(int? negativeTtl, bool authoritative, long? soaSerial, TimeSpan latency) =>
        new([], [], negativeTtl, null, NxDomainDetail, authoritative, soaSerial, latency);

    public static DnsObservation NoData(int? negativeTtl, bool authoritative, long? soaSerial, TimeSpan latency) =>
        new([], [], negativeTtl, null, NoDataDetail, authoritative, soaSerial, latency);

    /// <param name="reason">One of <see cref="DnsFailureReason"/>.</param>
    public static DnsObservation Failed(string reason, string detail, TimeSpan latency) => new([], [], null, reason, detail, false, null, latency);
}
