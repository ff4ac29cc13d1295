using System.Net;
using System.Text;
using DnsBridge.Connections;

namespace DnsBridge.UnitTests.Connections;

public sealed class ProxyProtocolTests
{
    private static ProxyHeaderStatus Parse(byte[] data, out ProxyHeader? header, out int consumed) => ProxyProtocol.Parse(data, out header, out consumed);

    public static TheoryData<string, string, string> Pairs() => new()
    {
        { "v1", "198.51.100.7:40000", "192.0.2.10:443" },
        { "v2", "198.51.100.7:40000", "192.0.2.10:443" },
        { "v1", "[2001:db8::7]:40000", "[2001:db8::10]:443" },
        { "v2", "[2001:db8::7]:40000", "[2001:db8::10]:443" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void What_is_written_is_read_back_with_the_bytes_after_it_left_alone(string version, string source, string destination)
    {
        var header = ProxyProtocol.Encode(version, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));
        byte[] data = [.. header, 0x16, 0x03, 0x01];

        Assert.Equal(ProxyHeaderStatus.Parsed, Parse(data, out var parsed, out var consumed));
        Assert.Equal(header.Length, consumed);
        Assert.Equal(IPEndPoint.Parse(source), parsed!.Source);
        Assert.Equal(IPEndPoint.Parse(destination), parsed.Destination);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Every_prefix_of_a_header_asks_for_more(string version, string source, string destination)
    {
        var header = ProxyProtocol.Encode(version, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));
        for (var length = 1; length < header.Length; length++)
        {
            Assert.Equal(ProxyHeaderStatus.NeedMore, Parse(header[..length], out _, out _));
        }
    }

    [Fact]
    public void An_IPv4_client_of_a_dual_stack_listener_is_sent_as_TCP4()
    {
        var header = ProxyProtocol.Encode("v1", IPEndPoint.Parse("[::ffff:198.51.100.7]:1000"), IPEndPoint.Parse("[::ffff:192.0.2.10]:443"));
        Assert.Equal("PROXY TCP4 198.51.100.7 192.0.2.10 1000 443\r\n", Encoding.ASCII.GetString(header));
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n")]
    public void V1_UNKNOWN_keeps_the_connection_addresses(string line)
    {
        Assert.Equal(ProxyHeaderStatus.Parsed, Parse(Encoding.ASCII.GetBytes(line), out var header, out var consumed));
        Assert.Null(header!.Source);
        Assert.Equal(line.Length, consumed);
    }

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n")]
    [InlineData("PROXY TCP4 1 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP4 ::1 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n")]
    public void Malformed_v1_lines_are_invalid(string line)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(Encoding.ASCII.GetBytes(line), out _, out _));
    }

    [Fact]
    public void A_v1_line_without_an_end_within_107_bytes_is_invalid()
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120)), out _, out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("POST /x HTTP/1.1\r\n")]
    [InlineData("\u0016\u0003\u0001")]
    public void The_clients_own_bytes_are_no_header(string text)
    {
        Assert.Equal(ProxyHeaderStatus.Absent, Parse(Encoding.Latin1.GetBytes(text), out _, out _));
    }

    private static byte[] V2(byte versionCommand, byte family, byte[] payload)
    {
        byte[] signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
        return [.. signature, versionCommand, family, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];
    }

    [Fact]
    public void V2_LOCAL_and_UNSPEC_keep_the_connection_addresses_and_TLVs_are_skipped()
    {
        Assert.Equal(ProxyHeaderStatus.Parsed, Parse(V2(0x20, 0x00, []), out var local, out var consumed));
        Assert.Null(local!.Source);
        Assert.Equal(16, consumed);

        byte[] addresses = [198, 51, 100, 7, 192, 0, 2, 10, 0x9c, 0x40, 0x01, 0xbb];
        byte[] awsTlv = [0xEA, 0x00, 0x05, 0x01, (byte)'v', (byte)'p', (byte)'c', (byte)'e'];
        Assert.Equal(ProxyHeaderStatus.Parsed, Parse(V2(0x21, 0x11, [.. addresses, .. awsTlv]), out var proxied, out _));
        Assert.Equal(IPEndPoint.Parse("198.51.100.7:40000"), proxied!.Source);
    }

    [Fact]
    public void Malformed_v2_headers_are_invalid()
    {
        byte[] addresses = [198, 51, 100, 7, 192, 0, 2, 10, 0x9c, 0x40, 0x01, 0xbb];
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x11, 0x11, addresses), out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x22, 0x11, addresses), out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x21, 0x11, addresses[..8]), out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x21, 0x11, [.. addresses, 0xEA, 0x00, 0x09, 1]), out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x21, 0x45, addresses), out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(V2(0x21, 0x11, new byte[ProxyProtocol.MaxV2Payload + 1]), out _, out _));
    }

    [Fact]
    public void Garbage_after_a_signature_never_throws()
    {
        var random = new Random(15);
        var good = ProxyProtocol.Encode("v2", IPEndPoint.Parse("[2001:db8::7]:40000"), IPEndPoint.Parse("[2001:db8::10]:443"));
        for (var i = 0; i < 20_000; i++)
        {
            var copy = (byte[])good.Clone();
            copy[12 + random.Next(copy.Length - 12)] = (byte)random.Next(256);
            var status = Parse(copy[..random.Next(1, copy.Length + 1)], out var header, out var consumed);
            Assert.True(Enum.IsDefined(status));
            Assert.True(consumed <= copy.Length);
            Assert.Equal(status == ProxyHeaderStatus.Parsed, header is not null);
        }
    }
}
