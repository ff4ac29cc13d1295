using System.Buffers.Binary;
using System.Net;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.UnitTests.Propagation.Wire;

/// <summary>The hand-written DNS codec: queries carry NSID and a masked client subnet; responses are read or refused, never half-read.</summary>
public sealed class DnsWireTests
{
    [Fact]
    public void A_query_asks_one_question_with_an_opt_record_that_requests_nsid()
    {
        var query = DnsWire.EncodeQuery(0x1234, "www.Example.test.", DnsWire.TypeA, recursion: true);

        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(query));
        Assert.Equal(0x01, query[2]); // RD only
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 1], query[4..12]);
        var afterName = 12 + "www.Example.test".Length + 2;
        Assert.Equal([3, (byte)'w', (byte)'w', (byte)'w'], query[12..16]);
        Assert.Equal([0, 1, 0, 1], query[afterName..(afterName + 4)]);

        var opt = query[(afterName + 4)..];
        Assert.Equal([0, 0, 41], opt[..3]); // root owner, TYPE OPT
        Assert.Equal(DnsWire.UdpPayload, BinaryPrimitives.ReadUInt16BigEndian(opt.AsSpan(3)));
        Assert.Equal([0, 0, 0, 0], opt[5..9]); // extended rcode, version 0, no DO
        Assert.Equal([0, 4, 0, 3, 0, 0], opt[9..]); // RDLENGTH 4: NSID, empty
    }

    [Fact]
    public void A_client_subnet_goes_on_the_wire_with_its_host_bits_cleared()
    {
        Assert.True(ClientSubnet.TryParse("198.51.100.7/24", out var subnet));
        var query = DnsWire.EncodeQuery(1, "a.test", DnsWire.TypeA, recursion: true, subnet);

        // RFC 7871 §6 and the research checklist: 198.51.100.7/24 -> 00 01 18 00 C6 33 64.
        Assert.Equal([0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 0x18, 0x00, 0xC6, 0x33, 0x64], query[^11..]);

        Assert.True(ClientSubnet.TryParse("10.255.255.255/20", out var twenty));
        Assert.Equal([0x0A, 0xFF, 0xF0], twenty.MaskedAddressBytes());
        Assert.True(ClientSubnet.TryParse("2001:db8:abcd:12ff::1/56", out var v6));
        Assert.Equal(2, v6.Family);
        Assert.Equal([0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0x12], v6.MaskedAddressBytes());
    }

    [Theory]
    [InlineData("a.test")]
    [InlineData("a-much-longer-name.with.several.labels.example.test")]
    public void Encrypted_queries_are_padded_to_a_multiple_of_128_octets(string name)
    {
        var query = DnsWire.EncodeQuery(0, name, DnsWire.TypeAaaa, recursion: true, padTo: 128);
        Assert.Equal(0, query.Length % 128);
        var plain = DnsWire.EncodeQuery(0, name, DnsWire.TypeAaaa, recursion: true);
        Assert.True(plain.Length < 128);
    }

    [Fact]
    public void A_response_gives_addresses_cnames_soa_nsid_and_the_echoed_subnet()
    {
        var response = new ResponseBuilder("www.example.test", DnsWire.TypeA)
            .Answer("www.example.test", DnsWire.TypeCname, 300, Name("edge.example.test"))
            .Answer("edge.example.test", DnsWire.TypeA, 60, [203, 0, 113, 10])
            .Authority("example.test", DnsWire.TypeSoa, 3600, [.. Name("ns.example.test"), .. Name("h.example.test"), 0, 0, 0, 42, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 1, 44])
            .Opt([0, 3, 0, 4, (byte)'a', (byte)'m', (byte)'s', (byte)'1', 0, 8, 0, 7, 0, 1, 24, 16, 198, 51, 100, 0x99, 0x99, 0, 0])
            .Build();

        var decoded = DnsWire.Decode(response);

        Assert.Equal("www.example.test", decoded.QuestionName);
        Assert.Equal(DnsWire.TypeA, decoded.QuestionType);
        Assert.Equal(["edge.example.test", "203.0.113.10"], decoded.Answers.Select(a => a.Data));
        Assert.Equal(60, decoded.Answers[1].Ttl);
        Assert.Equal(42u, decoded.Authorities[0].Soa!.Serial);
        Assert.Equal(300, decoded.Authorities[0].Soa!.Minimum);
        Assert.Equal("ams1", decoded.Edns!.NsidText);
        Assert.Equal(16, decoded.Edns.ClientSubnet!.ScopePrefixLength);
        Assert.Equal(IPAddress.Parse("198.51.100.0"), decoded.Edns.ClientSubnet.Address);
    }

    [Fact]
    public void A_binary_nsid_is_shown_in_hex_and_an_absent_one_is_null()
    {
        var binary = DnsWire.Decode(new ResponseBuilder("a.test", DnsWire.TypeA).Opt([0, 3, 0, 2, 0xde, 0xad]).Build());
        Assert.Equal("dead", binary.Edns!.NsidText);
        var none = DnsWire.Decode(new ResponseBuilder("a.test", DnsWire.TypeA).Opt([]).Build());
        Assert.Null(none.Edns!.NsidText);
        Assert.Null(none.Edns.ClientSubnet);
    }

    [Fact]
    public void The_extended_rcode_of_the_opt_record_is_part_of_the_response_code()
    {
        var response = new ResponseBuilder("a.test", DnsWire.TypeA).Opt([], extendedRcode: 1).Build();
        Assert.Equal(16, DnsWire.Decode(response).ResponseCode); // BADVERS
    }

    [Fact]
    public void Truncated_and_garbage_messages_are_refused_with_a_reason()
    {
        var good = new ResponseBuilder("www.example.test", DnsWire.TypeA).Answer("www.example.test", DnsWire.TypeA, 60, [203, 0, 113, 10]).Opt([0, 3, 0, 0]).Build();
        Assert.NotNull(DnsWire.Decode(good));

        for (var cut = 0; cut < good.Length; cut++)
        {
            Assert.Throws<DnsWireException>(() => DnsWire.Decode(good.AsSpan(0, cut)));
        }

        // A compression pointer to itself must not loop.
        var loop = new ResponseBuilder("a.test", DnsWire.TypeA).Build();
        loop[12] = 0xC0;
        loop[13] = 12;
        Assert.Throws<DnsWireException>(() => DnsWire.Decode(loop));

        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 80)];
            random.NextBytes(bytes);
            try
            {
                DnsWire.Decode(bytes);
            }
            catch (DnsWireException)
            {
            }
        }
    }

    [Fact]
    public void Names_and_texts_are_read_in_presentation_format_so_no_control_byte_or_fake_label_gets_through()
    {
        // One label with ESC, one label "a.b" posing as two, one with UTF-8, a space and a backslash.
        byte[] target = [.. Label([0x1b, .. "[31mRed"u8]), .. Label("a.b"u8), .. Label([(byte)'x', 0xC3, 0xA9, (byte)' ', (byte)'\\']), .. Label("test"u8), 0];
        byte[] text = [.. Label([.. "fra"u8, 0x1b, .. "[2J\\ "u8, 0xC3, 0xA9]), .. Label("\n!"u8)];
        var response = new ResponseBuilder("www.example.test", DnsWire.TypeA)
            .Answer("www.example.test", DnsWire.TypeCname, 300, target)
            .Answer("www.example.test", DnsWire.TypeTxt, 60, text)
            .Build();

        var decoded = DnsWire.Decode(response);

        Assert.Equal("\\027[31mred.a\\.b.x\\195\\169\\032\\\\.test", decoded.Answers[0].Data);
        Assert.Equal("fra\\027[2J\\\\ \\195\\169\\010!", decoded.Answers[1].Data);
        Assert.Equal("www.example.test", decoded.QuestionName);
    }

    [Fact]
    public void A_name_of_more_than_255_octets_is_refused()
    {
        var labels = Enumerable.Repeat(Label([.. Enumerable.Repeat((byte)0x01, 63)]), 4).SelectMany(l => l);
        var response = new ResponseBuilder("a.test", DnsWire.TypeA).Answer("a.test", DnsWire.TypeCname, 60, [.. labels, 0]).Build();
        Assert.Equal("name longer than 255 octets", Assert.Throws<DnsWireException>(() => DnsWire.Decode(response)).Message);
    }

    [Fact]
    public void A_query_is_not_a_response()
    {
        var query = DnsWire.EncodeQuery(5, "a.test", DnsWire.TypeA, recursion: true);
        Assert.Throws<DnsWireException>(() => DnsWire.Decode(query));
    }

    private static byte[] Label(ReadOnlySpan<byte> label) => [(byte)label.Length, .. label];

    private static byte[] Name(string name) => [.. name.Split('.').SelectMany(l => new[] { (byte)l.Length }.Concat(l.Select(c => (byte)c))), 0];

    /// <summary>Builds responses byte by byte, as a server would, to feed the decoder.</summary>
    private sealed class ResponseBuilder(string question, ushort type)
    {
        private readonly List<byte[]> _answers = [];
        private readonly List<byte[]> _authorities = [];
        private byte[]? _opt;

        public ResponseBuilder Answer(string owner, ushort rrType, int ttl, byte[] rdata)
        {
            _answers.Add(Record(owner, rrType, 1, (uint)ttl, rdata));
            return this;
        }

        public ResponseBuilder Authority(string owner, ushort rrType, int ttl, byte[] rdata)
        {
            _authorities.Add(Record(owner, rrType, 1, (uint)ttl, rdata));
            return this;
        }

        public ResponseBuilder Opt(byte[] options, byte extendedRcode = 0)
        {
            _opt = Record("", DnsWire.TypeOpt, 1232, (uint)extendedRcode << 24, options);
            return this;
        }

        public byte[] Build()
        {
            var header = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(header, 7);
            header[2] = 0x81;
            header[3] = 0x80;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)_answers.Count);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)_authorities.Count);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)(_opt is null ? 0 : 1));
            byte[] q = [.. Name(question), (byte)(type >> 8), (byte)type, 0, 1];
            return [.. header, .. q, .. _answers.SelectMany(a => a), .. _authorities.SelectMany(a => a), .. _opt ?? []];
        }

        private static byte[] Record(string owner, ushort rrType, ushort @class, uint ttl, byte[] rdata)
        {
            var fixedPart = new byte[10];
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart, rrType);
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart.AsSpan(2), @class);
            BinaryPrimitives.WriteUInt32BigEndian(fixedPart.AsSpan(4), ttl);
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart.AsSpan(8), (ushort)rdata.Length);
            return [.. owner.Length == 0 ? [0] : Name(owner), .. fixedPart, .. rdata];
        }
    }
}
