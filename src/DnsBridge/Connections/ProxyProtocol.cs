using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DnsBridge.Connections;

/// <summary>What the first bytes of a connection say about a PROXY protocol header.</summary>
internal enum ProxyHeaderStatus
{
    NeedMore,
    Parsed,

    /// <summary>Neither a v1 nor a v2 signature: the client's own bytes.</summary>
    Absent,

    /// <summary>A signature followed by something the spec does not allow (or beyond the caps).</summary>
    Invalid,
}

/// <summary>
/// A parsed PROXY header: the client and the address it reached, or both null for a v2 LOCAL command, v1 UNKNOWN,
/// or a family that carries no TCP address (the connection's own addresses then stand).
/// </summary>
internal sealed record ProxyHeader(IPEndPoint? Source, IPEndPoint? Destination);

/// <summary>
/// PROXY protocol v1 and v2 (haproxy doc/proxy-protocol.txt), both directions: parsed strictly from the first
/// bytes of a connection (every length checked, capped), and written toward a target.
/// </summary>
internal static class ProxyProtocol
{
    /// <summary>The longest v1 line the spec allows, CRLF included.</summary>
    public const int MaxV1Bytes = 107;

    /// <summary>A cap on v2 address plus TLV bytes: cloud load balancers send well under 1 KiB.</summary>
    public const int MaxV2Payload = 4096;

    public const int MaxHeaderBytes = 16 + MaxV2Payload;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static ProxyHeaderStatus Parse(ReadOnlySpan<byte> data, out ProxyHeader? header, out int consumed)
    {
        header = null;
        consumed = 0;
        if (data.IsEmpty)
        {
            return ProxyHeaderStatus.NeedMore;
        }

        if (IsPrefix(data, V2Signature))
        {
            return data.Length < V2Signature.Length ? ProxyHeaderStatus.NeedMore : ParseV2(data, out header, out consumed);
        }

        if (IsPrefix(data, V1Prefix))
        {
            return data.Length < V1Prefix.Length ? ProxyHeaderStatus.NeedMore : ParseV1(data, out header, out consumed);
        }

        return ProxyHeaderStatus.Absent;
    }

    private static bool IsPrefix(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var n = Math.Min(data.Length, signature.Length);
        return data[..n].SequenceEqual(signature[..n]);
    }

    private static ProxyHeaderStatus ParseV1(ReadOnlySpan<byte> data, out ProxyHeader? header, out int consumed)
    {
        header = null;
        consumed = 0;
        var window = data[..Math.Min(data.Length, MaxV1Bytes)];
        var end = window.IndexOf("\r\n"u8);
        if (end < 0)
        {
            // A bare LF, or no end within the spec's 107 bytes.
            return window.Contains((byte)'\n') || data.Length >= MaxV1Bytes ? ProxyHeaderStatus.Invalid : ProxyHeaderStatus.NeedMore;
        }

        var line = Encoding.ASCII.GetString(window[V1Prefix.Length..end]);
        consumed = end + 2;
        if (line.StartsWith("UNKNOWN", StringComparison.Ordinal) && (line.Length == 7 || line[7] == ' '))
        {
            header = new ProxyHeader(null, null);
            return ProxyHeaderStatus.Parsed;
        }

        var parts = line.Split(' ');
        if (parts.Length != 5 || parts[0] is not ("TCP4" or "TCP6"))
        {
            return ProxyHeaderStatus.Invalid;
        }

        var family = parts[0] == "TCP4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (!TryAddress(parts[1], family, out var source) || !TryAddress(parts[2], family, out var destination)
            || !TryPort(parts[3], out var sourcePort) || !TryPort(parts[4], out var destinationPort))
        {
            return ProxyHeaderStatus.Invalid;
        }

        header = new ProxyHeader(new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyHeaderStatus.Parsed;
    }

    private static bool TryAddress(string text, AddressFamily family, out IPAddress address)
    {
        // IPAddress.TryParse takes "1" or "0x7f.1" as IPv4; the spec wants the dotted quad or the RFC 4291 form.
        var shaped = family == AddressFamily.InterNetwork
            ? text.Count(c => c == '.') == 3 && text.All(c => char.IsAsciiDigit(c) || c == '.')
            : text.Contains(':', StringComparison.Ordinal) && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.');
        return IPAddress.TryParse(text, out address!) && shaped && address.AddressFamily == family;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5 && (text.Length == 1 || text[0] != '0')
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
    }

    private static ProxyHeaderStatus ParseV2(ReadOnlySpan<byte> data, out ProxyHeader? header, out int consumed)
    {
        header = null;
        consumed = 0;
        if (data.Length < 16)
        {
            return ProxyHeaderStatus.NeedMore;
        }

        var versionCommand = data[12];
        var family = data[13];
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (versionCommand >> 4 != 2 || (versionCommand & 0x0F) > 1 || length > MaxV2Payload)
        {
            return ProxyHeaderStatus.Invalid;
        }

        if (data.Length < 16 + length)
        {
            return ProxyHeaderStatus.NeedMore;
        }

        var payload = data.Slice(16, length);
        var local = (versionCommand & 0x0F) == 0;
        var addressBytes = family switch
        {
            0x11 or 0x12 => 12,
            0x21 or 0x22 => 36,
            0x31 or 0x32 => 216,
            0x00 => 0,
            _ => -1,
        };
        if (addressBytes < 0 || payload.Length < addressBytes || !TlvsWellFormed(payload[addressBytes..]))
        {
            return ProxyHeaderStatus.Invalid;
        }

        consumed = 16 + length;
        header = local || family is not (0x11 or 0x21)
            ? new ProxyHeader(null, null)
            : family == 0x11
                ? new ProxyHeader(
                    new IPEndPoint(new IPAddress(payload[..4]), BinaryPrimitives.ReadUInt16BigEndian(payload[8..])),
                    new IPEndPoint(new IPAddress(payload[4..8]), BinaryPrimitives.ReadUInt16BigEndian(payload[10..])))
                : new ProxyHeader(
                    new IPEndPoint(new IPAddress(payload[..16]), BinaryPrimitives.ReadUInt16BigEndian(payload[32..])),
                    new IPEndPoint(new IPAddress(payload[16..32]), BinaryPrimitives.ReadUInt16BigEndian(payload[34..])));
        return ProxyHeaderStatus.Parsed;
    }

    private static bool TlvsWellFormed(ReadOnlySpan<byte> tlvs)
    {
        while (!tlvs.IsEmpty)
        {
            if (tlvs.Length < 3)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..]);
            if (tlvs.Length < 3 + length)
            {
                return false;
            }

            tlvs = tlvs[(3 + length)..];
        }

        return true;
    }

    /// <summary>The header telling the target who the client is and which address it reached.</summary>
    public static byte[] Encode(string version, IPEndPoint source, IPEndPoint destination)
    {
        var (src, dst) = SameFamily(source.Address, destination.Address);
        var v4 = src.AddressFamily == AddressFamily.InterNetwork;
        if (version == Configuration.ProxyProtocolVersions.V1)
        {
            return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"PROXY {(v4 ? "TCP4" : "TCP6")} {src} {dst} {source.Port} {destination.Port}\r\n"));
        }

        var addressBytes = v4 ? 12 : 36;
        var header = new byte[16 + addressBytes];
        V2Signature.CopyTo(header);
        header[12] = 0x21;
        header[13] = v4 ? (byte)0x11 : (byte)0x21;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)addressBytes);
        var size = v4 ? 4 : 16;
        src.TryWriteBytes(header.AsSpan(16, size), out _);
        dst.TryWriteBytes(header.AsSpan(16 + size, size), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * size)), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * size)), (ushort)destination.Port);
        return header;
    }

    // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; the header says TCP4 for them.
    private static (IPAddress Source, IPAddress Destination) SameFamily(IPAddress source, IPAddress destination)
    {
        source = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        destination = destination.IsIPv4MappedToIPv6 ? destination.MapToIPv4() : destination;
        return source.AddressFamily == destination.AddressFamily
            ? (source, destination)
            : (source.MapToIPv6(), destination.MapToIPv6());
    }
}
