using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;

namespace DnsBridge.Propagation.Wire;

/// <summary>
/// The DNS messages the monitor exchanges, encoded by hand (RFC 1035, OPT from RFC 6891): a query of one question
/// with an OPT record that always asks for NSID (RFC 5001) and may carry a client subnet (RFC 7871), and a response
/// read for what propagation needs (A, AAAA, CNAME, SOA, the OPT options). DnsClient writes OPT with no options and
/// has no DoT/DoH; a few hundred lines here give full control over IDs, padding and subnet masking.
/// </summary>
internal static class DnsWire
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeSoa = 6;
    public const ushort TypeTxt = 16;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    public const ushort OptionNsid = 3;
    public const ushort OptionClientSubnet = 8;
    public const ushort OptionPadding = 12;
    public const ushort ClassIn = 1;

    /// <summary>CHAOS: the class of the server identification names (RFC 4892: <c>id.server</c>).</summary>
    public const ushort ClassChaos = 3;

    /// <summary>The post-flag-day EDNS buffer (RFC 9715): no fragmentation on any path.</summary>
    public const ushort UdpPayload = 1232;

    /// <summary>
    /// A query for <paramref name="name"/>: RD as asked, OPT with NSID, the subnet when given (host bits cleared, as
    /// RFC 7871 §6 requires and unbound enforces with FORMERR), padded to a multiple of <paramref name="padTo"/>
    /// octets when not 0 (RFC 8467: 128 on encrypted transports, never on plain UDP), in class IN unless told.
    /// </summary>
    public static byte[] EncodeQuery(ushort id, string name, ushort type, bool recursion, ClientSubnet? subnet = null, int padTo = 0, ushort @class = ClassIn)
    {
        var buffer = new List<byte>(128);
        WriteUInt16(buffer, id);
        buffer.Add((byte)(recursion ? 0x01 : 0x00));
        buffer.Add(0);
        WriteUInt16(buffer, 1);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 1);
        WriteName(buffer, name);
        WriteUInt16(buffer, type);
        WriteUInt16(buffer, @class);

        var options = new List<byte>();
        WriteUInt16(options, OptionNsid);
        WriteUInt16(options, 0);
        if (subnet is not null)
        {
            var address = subnet.MaskedAddressBytes();
            WriteUInt16(options, OptionClientSubnet);
            WriteUInt16(options, (ushort)(4 + address.Length));
            WriteUInt16(options, subnet.Family);
            options.Add(subnet.PrefixLength);
            options.Add(0);
            options.AddRange(address);
        }

        // OPT: root owner, type, payload size as class, extended rcode/version/flags 0, then the options.
        const int OptFixed = 11;
        if (padTo > 0)
        {
            var unpadded = buffer.Count + OptFixed + options.Count + 4;
            var padding = (padTo - (unpadded % padTo)) % padTo;
            WriteUInt16(options, OptionPadding);
            WriteUInt16(options, (ushort)padding);
            options.AddRange(new byte[padding]);
        }

        buffer.Add(0);
        WriteUInt16(buffer, TypeOpt);
        WriteUInt16(buffer, UdpPayload);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, 0);
        WriteUInt16(buffer, (ushort)options.Count);
        buffer.AddRange(options);
        return [.. buffer];
    }

    /// <summary>Reads a response; <see cref="DnsWireException"/> for anything that is not a well-formed message.</summary>
    public static DnsResponse Decode(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new DnsWireException($"{message.Length} bytes: shorter than a DNS header");
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var counts = new int[4];
        for (var i = 0; i < 4; i++)
        {
            counts[i] = BinaryPrimitives.ReadUInt16BigEndian(message[(4 + (2 * i))..]);
        }

        if ((flags & 0x8000) == 0)
        {
            throw new DnsWireException("not a response (QR is 0)");
        }

        var offset = 12;
        string? questionName = null;
        ushort questionType = 0;
        for (var i = 0; i < counts[0]; i++)
        {
            var qname = ReadName(message, ref offset);
            Need(message, offset, 4);
            if (i == 0)
            {
                questionName = qname;
                questionType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            }

            offset += 4;
        }

        var sections = new List<DnsRecord>[3] { [], [], [] };
        EdnsInfo? edns = null;
        var rcode = flags & 0x000F;
        for (var section = 0; section < 3; section++)
        {
            for (var i = 0; i < counts[section + 1]; i++)
            {
                var owner = ReadName(message, ref offset);
                Need(message, offset, 10);
                var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
                var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
                offset += 10;
                Need(message, offset, length);
                var rdata = message.Slice(offset, length);
                if (type == TypeOpt)
                {
                    if (section != 2 || edns is not null)
                    {
                        throw new DnsWireException("OPT record outside the additional section, or twice");
                    }

                    // The extended rcode's upper 8 bits sit in the TTL's top octet (RFC 6891 §6.1.3).
                    rcode |= (int)(ttl >> 24) << 4;
                    edns = ReadOptions(rdata);
                }
                else
                {
                    sections[section].Add(ReadRecord(message, owner, type, @class, ttl, offset, length));
                }

                offset += length;
            }
        }

        return new DnsResponse(id, (flags & 0x0200) != 0, (flags & 0x0400) != 0, rcode, questionName, questionType, sections[0], sections[1], edns);
    }

    private static DnsRecord ReadRecord(ReadOnlySpan<byte> message, string owner, ushort type, ushort @class, uint ttl, int offset, int length)
    {
        var seconds = (int)Math.Min(ttl, int.MaxValue);
        switch (type)
        {
            case TypeA when length == 4:
            case TypeAaaa when length == 16:
                return new DnsRecord(owner, type, @class, seconds, new IPAddress(message.Slice(offset, length)).ToString(), null);
            case TypeA:
            case TypeAaaa:
                throw new DnsWireException($"address record of {length} bytes");
            case TypeCname:
                {
                    var at = offset;
                    var target = ReadName(message, ref at);
                    return new DnsRecord(owner, type, @class, seconds, target, null);
                }

            case TypeSoa:
                {
                    var at = offset;
                    ReadName(message, ref at);
                    ReadName(message, ref at);
                    Need(message, at, 20);
                    if (at + 20 > offset + length)
                    {
                        throw new DnsWireException("SOA record overruns its length");
                    }

                    var serial = BinaryPrimitives.ReadUInt32BigEndian(message[at..]);
                    var minimum = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 16)..]);
                    return new DnsRecord(owner, type, @class, seconds, null, new SoaData(serial, (int)Math.Min(minimum, int.MaxValue)));
                }

            case TypeTxt:
                return new DnsRecord(owner, type, @class, seconds, ReadText(message.Slice(offset, length)), null);

            default:
                return new DnsRecord(owner, type, @class, seconds, null, null);
        }
    }

    /// <summary>
    /// A TXT record's character-strings, joined (one record says one thing; RFC 7208 §3.3 joins them the same way), in
    /// presentation format: a byte outside printable ASCII as <c>\DDD</c>, a backslash as <c>\\</c>. The text is shown
    /// to operators as a PoP name; whatever a server put in it never reaches their terminal as a control character.
    /// </summary>
    private static string ReadText(ReadOnlySpan<byte> rdata)
    {
        var text = new StringBuilder();
        var at = 0;
        while (at < rdata.Length)
        {
            var length = rdata[at];
            if (at + 1 + length > rdata.Length)
            {
                throw new DnsWireException("TXT string overruns its record");
            }

            foreach (var b in rdata.Slice(at + 1, length))
            {
                Append(text, b, b is < 0x20 or > 0x7E, b == '\\');
            }

            at += 1 + length;
        }

        return text.ToString();
    }

    private static EdnsInfo ReadOptions(ReadOnlySpan<byte> rdata)
    {
        byte[]? nsid = null;
        ClientSubnetEcho? subnet = null;
        var at = 0;
        while (at < rdata.Length)
        {
            if (at + 4 > rdata.Length)
            {
                throw new DnsWireException("OPT option header cut short");
            }

            var code = BinaryPrimitives.ReadUInt16BigEndian(rdata[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(rdata[(at + 2)..]);
            at += 4;
            if (at + length > rdata.Length)
            {
                throw new DnsWireException("OPT option overruns the record");
            }

            var data = rdata.Slice(at, length);
            if (code == OptionNsid)
            {
                nsid = data.ToArray();
            }
            else if (code == OptionClientSubnet && length >= 4)
            {
                var family = BinaryPrimitives.ReadUInt16BigEndian(data);
                var bytes = new byte[family == 2 ? 16 : 4];
                data[4..].Slice(0, Math.Min(length - 4, bytes.Length)).CopyTo(bytes);
                subnet = new ClientSubnetEcho(family, data[2], data[3], new IPAddress(bytes));
            }

            // Unknown options are skipped, never rejected (RFC 6891 §6.1.2).
            at += length;
        }

        return new EdnsInfo(nsid, subnet);
    }

    /// <summary>
    /// A name in RFC 1035 §5.1 presentation format, lower-cased: a byte outside 0x21-0x7E as <c>\DDD</c>, a dot or a
    /// backslash inside a label as <c>\.</c> and <c>\\</c>. Host names read as before; a hostile one (an escape
    /// sequence in a CNAME target, a label "a.b" posing as two) stays one visible, unambiguous string.
    /// </summary>
    private static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var octets = 1;
        var at = offset;
        var jumped = false;
        for (var hops = 0; ; hops++)
        {
            if (hops > 128)
            {
                throw new DnsWireException("name compression loop");
            }

            Need(message, at, 1);
            var length = message[at];
            if (length == 0)
            {
                at++;
                break;
            }

            if ((length & 0xC0) == 0xC0)
            {
                Need(message, at, 2);
                var pointer = BinaryPrimitives.ReadUInt16BigEndian(message[at..]) & 0x3FFF;
                if (!jumped)
                {
                    offset = at + 2;
                }

                jumped = true;
                at = pointer;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                throw new DnsWireException("unknown label type");
            }

            Need(message, at + 1, length);
            if (name.Length > 0)
            {
                name.Append('.');
            }

            foreach (var b in message.Slice(at + 1, length))
            {
                Append(name, b, b is < 0x21 or > 0x7E, b is (byte)'.' or (byte)'\\');
            }

            octets += 1 + length;
            if (octets > 255)
            {
                throw new DnsWireException("name longer than 255 octets");
            }

            at += 1 + length;
        }

        if (!jumped)
        {
            offset = at;
        }

        return name.ToString().ToLowerInvariant();
    }

    private static void Append(StringBuilder text, byte b, bool asDecimal, bool escaped)
    {
        if (asDecimal)
        {
            text.Append('\\').Append(b.ToString("D3", CultureInfo.InvariantCulture));
        }
        else
        {
            text.Append(escaped ? "\\" : "").Append((char)b);
        }
    }

    private static void Need(ReadOnlySpan<byte> message, int offset, int count)
    {
        if (offset < 0 || offset + count > message.Length)
        {
            throw new DnsWireException("message cut short");
        }
    }

    private static void WriteName(List<byte> buffer, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length > 63)
            {
                throw new ArgumentException($"label '{label}' is longer than 63 octets", nameof(name));
            }

            buffer.Add((byte)bytes.Length);
            buffer.AddRange(bytes);
        }

        buffer.Add(0);
    }

    private static void WriteUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }
}
