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

    [Theory]
    [InlineData("203.0.113.9", "https", "shop.example.test", "for=203.0.113.9;proto=https;host=shop.example.test")]
    [InlineData("203.0.113.9, 10.0.0.2", "https", null, "for=203.0.113.9;proto=https, for=10.0.0.2")]
    [InlineData("[2001:db8::1]:4711", null, null, "for=\"[2001:db8::1]\"")]
    [InlineData("not-an-address", "https,http", "a.test:8443", "for=unknown;proto=https;host=\"a.test:8443\"")]
    public void X_Forwarded_headers_become_Forwarded_elements(string forwardedFor, string? proto, string? host, string expected) =>
        Assert.Equal(expected, ForwardedHeader.FromXForwarded(forwardedFor, proto, host));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void No_X_Forwarded_For_gives_no_chain(string? forwardedFor) => Assert.Null(ForwardedHeader.FromXForwarded(forwardedFor, "https", "a.test"));
}
