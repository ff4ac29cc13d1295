using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>What a validation message may echo of a URL: never its user info, query or fragment, parseable or not.</summary>
public sealed class UrlRedactionTests
{
    [Theory]
    [InlineData("http://proxy:pw@proxy.corp:3128", "http://***@proxy.corp:3128")]
    [InlineData("https://a:b@c@host/path?token=x#frag", "https://***@host/path?***")]
    [InlineData("https://host:8081/dns-query#x", "https://host:8081/dns-query#***")]
    [InlineData("socks5://u:p@h:1080", "socks5://***@h:1080")]
    [InlineData("u:p@h:99999", "***@h:99999")]
    [InlineData("https://host/a@b", "https://host/a@b")]
    [InlineData("/relative?x=1", "/relative?***")]
    [InlineData("", "")]
    [InlineData("https://", "https://")]
    public void User_info_query_and_fragment_are_hidden(string url, string shown) => Assert.Equal(shown, UrlRedaction.Of(url));

    [Fact]
    public void A_refused_listen_url_is_shown_without_its_user_info()
    {
        var json = """{ "DnsBridge": { "Listen": { "Proxy": "http://admin:PW-SECRET-1@0.0.0.0/x" }, "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ] } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

        var (_, errors) = ConfigLoader.Read(configuration, Path.GetTempPath());

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Listen:Proxy", error.Path);
        Assert.DoesNotContain("PW-SECRET-1", error.Message, StringComparison.Ordinal);
    }
}
