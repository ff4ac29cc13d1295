using System.Net;
using System.Text;

namespace DnsBridge.Propagation.Wire;

/// <summary>A decoded response: header bits, the first question, answers, authorities and what the OPT record said.</summary>
internal sealed record DnsResponse(
    ushort Id,
    bool Truncated,
    bool Authoritative,
    int ResponseCode,
    string? QuestionName,
    ushort QuestionType,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authorities,
    EdnsInfo? Edns);

/// <summary>One resource record; <see cref="Data"/> holds an address, a target name or a TXT record's text, <see cref="Soa"/> a SOA's numbers.</summary>
internal sealed record DnsRecord(string Name, ushort Type, ushort Class, int Ttl, string? Data, SoaData? Soa);

internal sealed record SoaData(uint Serial, int Minimum);

/// <summary>The options of a response's OPT record that the monitor reads.</summary>
internal sealed record EdnsInfo(byte[]? Nsid, ClientSubnetEcho? ClientSubnet)
{
    /// <summary>The NSID as text when it is printable ASCII (what operators configure), else hex.</summary>
    public string? NsidText => Nsid is not { Length: > 0 } bytes ? null
        : bytes.All(b => b is >= 0x20 and < 0x7F) ? Encoding.ASCII.GetString(bytes)
        : Convert.ToHexStringLower(bytes);
}

/// <summary>The client subnet a server echoed, with the scope its answer covers (0: every client).</summary>
internal sealed record ClientSubnetEcho(ushort Family, byte SourcePrefixLength, byte ScopePrefixLength, IPAddress Address);
