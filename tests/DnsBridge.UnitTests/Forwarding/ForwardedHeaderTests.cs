using System.Net;
using DnsBridge.Forwarding;

namespace DnsBridge.UnitTests.Forwarding;

/// <summary>The RFC 7239 element DnsBridge adds: tokens bare, IPv6 and ports quoted (RFC 7239 sections 4 and 6).</summary>
public sealed class ForwardedHeaderTests
{
    [Theory]
    [InlineData("192.0.2.43", "http", "shop.example.com", "for=192.0.2.43;proto=http;host=shop.example.com")]
    [InlineData("::ffff:192.0.2.43", "https", "shop.example.com", "for=192.0.2.43;proto=https;host=shop.example.com")]
    [InlineData("2001:db8:cafe::17", "https", "shop.example.com", "for=\"[2001:db8:cafe::17]\";proto=https;host=shop.example.com")]
    [InlineData("fe80::1%2", "http", "shop.example.com", "for=\"[fe80::1]\";proto=http;host=shop.example.com")]
    [InlineData("192.0.2.43", "http", "shop.example.com:8080", "for=192.0.2.43;proto=http;host=\"shop.example.com:8080\"")]
    [InlineData("192.0.2.43", "http", "", "for=192.0.2.43;proto=http")]
    public void Formats_one_hop(string peer, string scheme, string host, string expected) =>
        Assert.Equal(expected, ForwardedHeader.Element(IPAddress.Parse(peer), scheme, host));

    [Fact]
    public void An_unknown_peer_is_for_unknown() =>
        Assert.Equal("for=unknown;proto=http;host=a.test", ForwardedHeader.Element(null, "http", "a.test"));

    [Theory]
    [InlineData("token", "token")]
    [InlineData("[::1]:80", "\"[::1]:80\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("", "\"\"")]
    public void Quotes_what_is_not_a_token(string value, string expected) =>
        Assert.Equal(expected, ForwardedHeader.Quote(value));
}
