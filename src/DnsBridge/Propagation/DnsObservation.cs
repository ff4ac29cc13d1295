using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>What one server said to one question, before it is judged against the cutover's expectation.</summary>
public sealed record DnsObservation(
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Cnames,
    int? Ttl,
    string? Error,
    string? Detail,
    bool Authoritative,
    long? SoaSerial,
    TimeSpan Latency)
{
    /// <summary>The answering site as the server named it (NSID, RFC 5001); null when it names none.</summary>
    public string? Pop { get; init; }

    /// <summary>The client subnet the server echoed with its scope; null when none was sent or the server ignored it.</summary>
    public ClientSubnetEcho? ClientSubnet { get; init; }
}
