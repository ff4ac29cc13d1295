using DnsBridge.Configuration;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>The three resolver address forms, what each dials, and the built-in list's encrypted endpoints.</summary>
public sealed class ResolverAddressTests
{
    [Theory]
    [InlineData("9.9.9.9", null, "udp", "9.9.9.9:53")]
    [InlineData("127.0.0.1:5353", null, "udp", "127.0.0.1:5353")]
    [InlineData("tls://1.1.1.1#cloudflare-dns.com", null, "dot", "tls://1.1.1.1:853#cloudflare-dns.com")]
    [InlineData("tls://[2606:4700::1111]:8853#One.One.One.One", null, "dot", "tls://[2606:4700::1111]:8853#one.one.one.one")]
    [InlineData("https://dns.google/dns-query", "8.8.8.8", "doh", "https://dns.google/dns-query")]
    [InlineData("https://127.0.0.1:8443/dns-query", null, "doh", "https://127.0.0.1:8443/dns-query")]
    public void Parses_each_form(string value, string? ip, string transport, string shown)
    {
        Assert.True(ResolverAddress.TryParse(value, ip, out var address, out var why), why);
        Assert.Equal(transport, address.Transport);
        Assert.Equal(shown, address.ToString());
    }

    [Fact]
    public void A_doh_url_is_dialled_at_its_ip_or_resolved()
    {
        Assert.True(ResolverAddress.TryParse("https://dns.google/dns-query", "8.8.8.8", out var pinned, out _));
        Assert.Equal("8.8.8.8:443", pinned.EndPoint!.ToString());
        Assert.True(ResolverAddress.TryParse("https://doh.pub/dns-query", null, out var resolved, out _));
        Assert.Null(resolved.EndPoint);
        Assert.False(ResolverInfo.Reached("dnspod", resolved, "China", "DNSPod").HasPlainEndPoint);
    }

    [Theory]
    [InlineData("tls://1.1.1.1", null, "needs the name")]
    [InlineData("tls://1.1.1.1#", null, "needs the name")]
    [InlineData("tls://dns.google#dns.google", null, "takes an IP")]
    [InlineData("https://dns.google/dns-query?dns=AAAB", null, "no query string")]
    [InlineData("https://dns.google/dns-query", "not-an-ip", "Ip must be an IP")]
    [InlineData("8.8.8.8", "8.8.8.8", "only for https")]
    [InlineData("quic://1.1.1.1", null, "must be IP[:PORT]")]
    [InlineData("dns.google", null, "must be IP")]
    public void Refuses_what_cannot_be_asked(string value, string? ip, string expected)
    {
        Assert.False(ResolverAddress.TryParse(value, ip, out _, out var why));
        Assert.Contains(expected, why, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_in_list_prefers_an_encrypted_endpoint_where_the_operator_has_one()
    {
        var dot = ResolverCatalog.BuiltInOver(ResolverAddress.Dot).ToDictionary(r => r.Name);
        var doh = ResolverCatalog.BuiltInOver(ResolverAddress.Doh).ToDictionary(r => r.Name);

        Assert.Equal("tls://8.8.8.8:853#dns.google", dot["google"].Address);
        Assert.Equal("8.8.8.8:53", dot["google"].EndPoint.ToString());
        Assert.Equal("https://cloudflare-dns.com/dns-query", doh["cloudflare"].Address);
        Assert.Equal("udp", dot["114dns"].Via.Transport);
        Assert.True(dot.Values.Count(r => r.Via.Transport == "dot") >= 10);
        Assert.True(doh.Values.Count(r => r.Via.Transport == "doh") >= 10);
        Assert.True(dot["google"].ForwardsClientSubnet);
        Assert.False(dot["cloudflare"].ForwardsClientSubnet);
        Assert.Null(dot["adguard"].ForwardsClientSubnet);
    }
}
