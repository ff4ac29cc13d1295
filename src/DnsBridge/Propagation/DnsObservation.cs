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
    TimeSpan Latency);
