using System.Text;
using DnsBridge.Connections;

namespace DnsBridge.UnitTests.Connections;

public sealed class ClientHelloParserTests
{
    private static ClientHelloStatus Parse(byte[] data, out string? name) => ClientHelloParser.Parse(data, out name);

    [Fact]
    public void The_name_of_a_real_ClientHello_is_read_and_lower_cased()
    {
        var hello = ClientHelloBuilder.Real("Shop.Example.Test");

        Assert.Equal(ClientHelloStatus.ServerName, Parse(hello, out var name));
        Assert.Equal("shop.example.test", name);
    }

    [Fact]
    public void Every_prefix_of_a_ClientHello_asks_for_more_and_never_guesses()
    {
        var hello = ClientHelloBuilder.Real("shop.example.test");
        for (var length = 1; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMore, Parse(hello[..length], out var name));
            Assert.Null(name);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void A_ClientHello_fragmented_over_several_records_is_reassembled(int recordSize)
    {
        var message = ClientHelloBuilder.Message((0x0a0a, []), ClientHelloBuilder.Padding(300), ClientHelloBuilder.Sni("api.example.test"));
        var records = ClientHelloBuilder.Records(message, recordSize);
        var status = Parse(records, out var name);

        if (Math.Ceiling(message.Length / (double)recordSize) > ClientHelloParser.MaxRecords)
        {
            // One-byte records: legal, but bounded, or 16 KiB of them would be.
            Assert.Equal(ClientHelloStatus.TooLarge, status);
        }
        else
        {
            Assert.Equal(ClientHelloStatus.ServerName, status);
            Assert.Equal("api.example.test", name);
        }
    }

    [Fact]
    public void A_10_KiB_ClientHello_with_the_name_last_after_GREASE_is_routed()
    {
        var message = ClientHelloBuilder.Message((0x1a1a, [0]), ClientHelloBuilder.Padding(10 * 1024), (0xfe0d, new byte[200]), ClientHelloBuilder.Sni("big.example.test"));

        Assert.Equal(ClientHelloStatus.ServerName, Parse(ClientHelloBuilder.Records(message), out var name));
        Assert.Equal("big.example.test", name);
    }

    [Fact]
    public void A_ClientHello_over_16_KiB_is_too_large_as_soon_as_its_length_is_known()
    {
        var message = ClientHelloBuilder.Message(ClientHelloBuilder.Padding(17 * 1024), ClientHelloBuilder.Sni("a.test"));

        Assert.Equal(ClientHelloStatus.TooLarge, Parse(ClientHelloBuilder.Records(message)[..20], out _));
    }

    [Fact]
    public void Without_a_server_name_there_is_no_name()
    {
        Assert.Equal(ClientHelloStatus.NoServerName, Parse(ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Padding(10))), out var name));
        Assert.Null(name);
    }

    [Fact]
    public void An_SSLv2_compatible_hello_has_no_name()
    {
        Assert.Equal(ClientHelloStatus.NoServerName, Parse([0x80, 0x2e, 0x01, 0x03, 0x01], out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("G")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    public void Plain_text_is_not_TLS_from_its_first_byte(string text)
    {
        Assert.Equal(ClientHelloStatus.NotTls, Parse(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Two_server_name_extensions_are_malformed_not_a_choice()
    {
        var message = ClientHelloBuilder.Message(ClientHelloBuilder.Sni("a.test"), ClientHelloBuilder.Sni("b.test"));
        Assert.Equal(ClientHelloStatus.NotTls, Parse(ClientHelloBuilder.Records(message), out _));
    }

    [Theory]
    [InlineData("bad name.test")]
    [InlineData("trailing.dot.")]
    [InlineData("")]
    [InlineData("ünicode.test")]
    public void Names_that_are_not_host_names_are_malformed(string name)
    {
        var sni = ClientHelloBuilder.Sni("x");
        var bytes = Encoding.UTF8.GetBytes(name);
        byte[] data = [0, (byte)((bytes.Length + 3) >> 8), (byte)(bytes.Length + 3), 0, (byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
        var message = ClientHelloBuilder.Message((sni.Item1, data));

        Assert.Equal(ClientHelloStatus.NotTls, Parse(ClientHelloBuilder.Records(message), out _));
    }

    [Fact]
    public void Two_host_names_in_one_list_are_malformed()
    {
        Assert.Equal(ClientHelloStatus.NotTls, Parse(ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Sni("a.test", "b.test"))), out _));
    }

    [Fact]
    public void A_record_that_is_not_a_handshake_or_a_message_that_is_not_a_ClientHello_is_not_TLS()
    {
        var hello = ClientHelloBuilder.Real("a.test");
        var alert = (byte[])hello.Clone();
        alert[0] = 0x15;
        var serverHello = (byte[])hello.Clone();
        serverHello[5] = 0x02;

        Assert.Equal(ClientHelloStatus.NotTls, Parse(alert, out _));
        Assert.Equal(ClientHelloStatus.NotTls, Parse(serverHello, out _));
    }

    [Fact]
    public void Every_single_byte_corruption_and_truncation_is_answered_without_an_exception()
    {
        var hello = ClientHelloBuilder.Real("fuzz.example.test");
        var random = new Random(15);
        for (var i = 0; i < 20_000; i++)
        {
            var copy = (byte[])hello.Clone();
            var changes = random.Next(1, 4);
            for (var c = 0; c < changes; c++)
            {
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
            }

            var status = Parse(copy[..random.Next(1, copy.Length + 1)], out var name);
            Assert.True(Enum.IsDefined(status));
            Assert.Equal(status == ClientHelloStatus.ServerName, name is not null);
        }
    }

    public static TheoryData<string> Shapes => ["real", "one record", "records of 7 bytes", "records of 300 bytes", "16 KiB in 2 records"];

    private static byte[] Shape(string shape) => shape switch
    {
        "real" => ClientHelloBuilder.Real("feed.example.test"),
        "one record" => ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Padding(2000), ClientHelloBuilder.Sni("feed.example.test"))),
        "records of 7 bytes" => ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Sni("feed.example.test")), 7),
        "records of 300 bytes" => ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Padding(16_000), ClientHelloBuilder.Sni("feed.example.test")), 300),
        _ => ClientHelloBuilder.Records(ClientHelloBuilder.Message(ClientHelloBuilder.Padding(16_000), ClientHelloBuilder.Sni("feed.example.test"))),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_ClientHello_arriving_one_byte_at_a_time_gives_the_same_name(string shape)
    {
        var hello = Shape(shape);
        var parser = new ClientHelloParser();
        for (var length = 1; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMore, parser.Continue(hello.AsSpan(0, length), out var partial));
            Assert.Null(partial);
        }

        Assert.Equal(ClientHelloStatus.ServerName, parser.Continue(hello, out var name));
        Assert.Equal("feed.example.test", name);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_ClientHello_split_at_any_point_gives_the_same_name(string shape)
    {
        var hello = Shape(shape);
        for (var split = 1; split < hello.Length; split++)
        {
            var parser = new ClientHelloParser();
            Assert.Equal(ClientHelloStatus.NeedMore, parser.Continue(hello.AsSpan(0, split), out _));
            Assert.Equal(ClientHelloStatus.ServerName, parser.Continue(hello, out var name));
            Assert.Equal("feed.example.test", name);
        }
    }

    [Fact]
    public void A_16_KiB_ClientHello_one_byte_at_a_time_is_never_copied_per_read()
    {
        // 16 KiB in 55 records, one byte per read: a parser copying what is buffered on every read allocated ~134 MB here.
        var hello = Shape("records of 300 bytes");
        ClientHelloParser.Parse(hello, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var parser = new ClientHelloParser();
        var status = ClientHelloStatus.NeedMore;
        for (var length = 1; length <= hello.Length && status == ClientHelloStatus.NeedMore; length++)
        {
            status = parser.Continue(hello.AsSpan(0, length), out _);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ClientHelloStatus.ServerName, status);
        // The reassembled message once, the name, the parser: well under three times the message.
        Assert.True(allocated < 3 * ClientHelloParser.MaxHandshakeBytes, $"{allocated} bytes allocated");
    }

    [Fact]
    public void Fed_in_random_pieces_a_corrupted_ClientHello_is_judged_as_if_parsed_whole_at_every_step()
    {
        var hellos = new[] { Shape("real"), Shape("records of 7 bytes"), Shape("records of 300 bytes") };
        var random = new Random(25);
        for (var i = 0; i < 3_000; i++)
        {
            var copy = (byte[])hellos[i % hellos.Length].Clone();
            for (var c = random.Next(0, 3); c > 0; c--)
            {
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
            }

            var parser = new ClientHelloParser();
            var length = 0;
            while (length < copy.Length)
            {
                length = Math.Min(copy.Length, length + random.Next(1, 400));
                var status = parser.Continue(copy.AsSpan(0, length), out var name);
                var whole = ClientHelloParser.Parse(copy.AsSpan(0, length), out var wholeName);
                Assert.Equal(whole, status);
                Assert.Equal(wholeName, name);
                if (status != ClientHelloStatus.NeedMore)
                {
                    break;
                }
            }
        }
    }
}
