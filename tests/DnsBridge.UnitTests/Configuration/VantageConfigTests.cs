using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>Resolver transports, client subnets and the DoH proxy: accepted forms, and refusals with key paths.</summary>
public sealed class VantageConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string resolvers, string propagation = "{}")
    {
        var json = $$"""
            { "DnsBridge": { "Resolvers": {{resolvers}}, "Propagation": {{propagation}}, "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ] } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Every_transport_form_subnets_and_a_proxy_are_accepted()
    {
        var (config, errors) = Load(
            """{ "Custom": [ { "Name": "dot", "Address": "tls://192.0.2.53#dns.example.net" }, { "Name": "doh", "Address": "https://dns.example.net/dns-query", "Ip": "192.0.2.54" }, { "Name": "plain", "Address": "192.0.2.55", "ClientSubnet": "101.80.0.0/16", "PopQuery": "id.server" } ] }""",
            """{ "Transport": "DoT", "HttpProxy": "http://proxy.corp:3128", "ClientSubnets": [ { "Name": "shanghai", "Subnet": "101.80.0.0/16" }, { "Name": "v6", "Subnet": "2001:db8:1200::/40" } ] }""");

        Assert.Empty(errors);
        Assert.Equal("dot", config.Propagation.Transport);
        Assert.Equal(["shanghai", "v6"], config.Propagation.ClientSubnets.Select(s => s.Name));
        Assert.Equal("id.server", config.Resolvers.Custom[2].PopQuery);
    }

    [Theory]
    [InlineData("""{ "Name": "a", "Address": "tls://192.0.2.53" }""", "Address", "needs the name its certificate is valid for")]
    [InlineData("""{ "Name": "a", "Address": "https://dns.example.net/dns-query?dns=AAAB" }""", "Address", "no query string")]
    [InlineData("""{ "Name": "a", "Address": "https://dns.example.net/dns-query", "Ip": "dns" }""", "Ip", "Ip must be an IP address")]
    [InlineData("""{ "Name": "a", "Address": "192.0.2.53", "ClientSubnet": "101.80.0.0" }""", "ClientSubnet", "must be a CIDR")]
    [InlineData("""{ "Name": "a", "Address": "192.0.2.53", "ClientSubnet": "101.80.1.7/32" }""", "ClientSubnet", "prefix must be 1-24")]
    [InlineData("""{ "Name": "a@b", "Address": "192.0.2.53" }""", "Name", "must not contain '@'")]
    [InlineData("""{ "Name": "a", "Address": "192.0.2.53", "PopQuery": "whoami" }""", "PopQuery", "must be one of id.server, google, opendns")]
    public void A_bad_custom_resolver_is_refused_with_its_key_path(string custom, string key, string expected)
    {
        var (_, errors) = Load($$"""{ "Custom": [ {{custom}} ] }""");

        var error = Assert.Single(errors);
        Assert.Equal($"DnsBridge:Resolvers:Custom:0:{key}", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Transport": "quic" }""", "Transport", "must be 'udp', 'dot' or 'doh'")]
    [InlineData("""{ "HttpProxy": "socks5://127.0.0.1:1080" }""", "HttpProxy", "must be http://HOST:PORT")]
    [InlineData("""{ "ClientSubnets": [ { "Name": "x", "Subnet": "not-a-cidr" } ] }""", "ClientSubnets:0:Subnet", "must be a CIDR")]
    [InlineData("""{ "ClientSubnets": [ { "Name": "", "Subnet": "10.0.0.0/8" } ] }""", "ClientSubnets:0:Name", "is required")]
    [InlineData("""{ "ClientSubnets": [ { "Name": "x", "Subnet": "10.0.0.0/8" }, { "Name": "X", "Subnet": "11.0.0.0/8" } ] }""", "ClientSubnets:1:Name", "duplicate")]
    [InlineData("""{ "CaFile": "/nonexistent/ca.pem" }""", "CaFile", "file not found")]
    [InlineData("""{ "Vantages": [ { "Url": "https://cn.example.net:8081", "Token": "t" } ] }""", "Vantages:0:Name", "is required")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Token": "t" } ] }""", "Vantages:0:Url", "is required")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "ftp://cn.example.net", "Token": "t" } ] }""", "Vantages:0:Url", "must be an http:// or https:// URL")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "https://cn.example.net:8081" } ] }""", "Vantages:0:Token", "is required for a vantage that is not on loopback")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "http://127.0.0.1:8081" }, { "Name": "CN", "Url": "http://127.0.0.2:8081" } ] }""", "Vantages:1:Name", "duplicate vantage name")]
    [InlineData("""{ "Vantages": [ { "Name": "local", "Url": "http://127.0.0.1:8081" } ] }""", "Vantages:0:Name", "'local' names this instance's own rows")]
    public void A_bad_propagation_key_is_refused_with_its_key_path(string propagation, string key, string expected)
    {
        var (_, errors) = Load("{}", propagation);

        var error = Assert.Single(errors);
        Assert.Equal($"DnsBridge:Propagation:{key}", error.Path);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vantage_is_read_and_its_token_appears_in_no_validation_message()
    {
        const string Secret = "s3cr3t-vantage-token-value";
        var (config, errors) = Load("{}", $$"""{ "Vantages": [ { "Name": "cn-north", "Url": "https://cn.example.net:8081", "Token": "{{Secret}}" }, { "Name": "cn", "Url": "ftp://x", "Token": "{{Secret}}" } ] }""");

        var vantage = config.Propagation.Vantages[0];
        Assert.Equal(("cn-north", "https://cn.example.net:8081", Secret), (vantage.Name, vantage.Url, vantage.Token));
        Assert.DoesNotContain(Secret, vantage.ToString(), StringComparison.Ordinal);
        Assert.Equal("DnsBridge:Propagation:Vantages:1:Url", Assert.Single(errors).Path);
        Assert.All(errors, e => Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://cn.example.net:8081")]
    [InlineData("http://192.0.2.7:8081")]
    [InlineData("http://[2001:db8::7]:8081")]
    [InlineData("http://localhost.example.net:8081")]
    [InlineData("http://128.0.0.1:8081")]
    public void A_vantage_off_loopback_must_use_https(string url)
    {
        var (_, errors) = Load("{}", $$"""{ "Vantages": [ { "Name": "cn", "Url": "{{url}}", "Token": "t" } ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Propagation:Vantages:0:Url", error.Path);
        Assert.Contains("must be https://", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8081")]
    [InlineData("http://127.8.9.10:8081")]
    [InlineData("http://[::1]:8081")]
    [InlineData("http://localhost:8081")]
    [InlineData("https://cn.example.net:8081")]
    public void Plain_http_is_accepted_on_loopback_only(string url)
    {
        var (_, errors) = Load("{}", $$"""{ "Vantages": [ { "Name": "cn", "Url": "{{url}}", "Token": "t" } ] }""");

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "https://admin:PW-SECRET-1@cn.example.net:8081", "Token": "t" } ] }""", "Vantages:0:Url")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "https://cn.example.net:8081/?token=PW-SECRET-1", "Token": "t" } ] }""", "Vantages:0:Url")]
    [InlineData("""{ "Vantages": [ { "Name": "cn", "Url": "ftp://admin:PW-SECRET-1@cn.example.net", "Token": "t" } ] }""", "Vantages:0:Url")]
    [InlineData("""{ "HttpProxy": "http://proxy:PW-SECRET-1@proxy.corp:3128/?x=PW-SECRET-1" }""", "HttpProxy")]
    [InlineData("""{ "HttpProxy": "socks5://proxy:PW-SECRET-1@proxy.corp:1080" }""", "HttpProxy")]
    public void A_refused_url_is_shown_without_its_user_info_or_query(string propagation, string key)
    {
        var (_, errors) = Load("{}", propagation);

        var error = Assert.Single(errors);
        Assert.Equal($"DnsBridge:Propagation:{key}", error.Path);
        Assert.DoesNotContain("PW-SECRET-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://user:PW-SECRET-1@dns.example.net/dns-query")]
    [InlineData("https://dns.example.net/dns-query?key=PW-SECRET-1")]
    [InlineData("https://dns.example.net/dns-query#PW-SECRET-1")]
    [InlineData("http://user:PW-SECRET-1@dns.example.net/dns-query")]
    [InlineData("tls://user:PW-SECRET-1@192.0.2.53#dns.example.net")]
    public void A_refused_resolver_url_is_shown_without_its_user_info_or_query(string address)
    {
        var (_, errors) = Load($$"""{ "Custom": [ { "Name": "a", "Address": "{{address}}" } ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Resolvers:Custom:0:Address", error.Path);
        Assert.DoesNotContain("PW-SECRET-1", error.Message, StringComparison.Ordinal);
    }
}
