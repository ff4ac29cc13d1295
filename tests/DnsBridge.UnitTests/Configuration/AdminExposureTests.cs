using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>Which admin addresses other hosts can reach, and the config error for such a listener without a token.</summary>
public sealed class AdminExposureTests
{
    private const string Token = "0123456789abcdef0123456789abcdef";

    private static IReadOnlyList<ConfigError> Errors(string listen)
    {
        var json = $$"""{ "DnsBridge": { "Listen": {{listen}}, "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ] } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath()).Errors;
    }

    [Theory]
    [InlineData("http://127.0.0.1:8081")]
    [InlineData("http://127.0.0.2:8081")]
    [InlineData("http://127.255.255.254:0")]
    [InlineData("http://localhost:8081")]
    [InlineData("http://LocalHost:8081")]
    [InlineData("http://[::1]:8081")]
    [InlineData("http://[0:0:0:0:0:0:0:1]:8081")]
    [InlineData("http://[::ffff:127.0.0.1]:8081")]
    public void Loopback_addresses_are_reachable_from_this_host_only(string url) => Assert.True(ConfigParsers.IsLoopbackOnly(url));

    [Theory]
    [InlineData("http://0.0.0.0:8081")]
    [InlineData("http://[::]:8081")]
    [InlineData("http://[::ffff:0.0.0.0]:8081")]
    [InlineData("http://*:8081")]
    [InlineData("http://+:8081")]
    [InlineData("http://10.0.0.5:8081")]
    [InlineData("http://192.168.1.1:8081")]
    [InlineData("http://[fe80::1]:8081")]
    [InlineData("http://[2001:db8::1]:8081")]
    [InlineData("http://[::2]:8081")]
    [InlineData("http://admin.example.com:8081")]
    [InlineData("http://localhost.example.com:8081")]
    [InlineData("http://127.0.0.1.nip.io:8081")]
    [InlineData("not a url")]
    [InlineData("")]
    public void Wildcards_other_addresses_names_and_garbage_count_as_reachable_from_the_network(string url) =>
        Assert.False(ConfigParsers.IsLoopbackOnly(url));

    [Theory]
    [InlineData("http://0.0.0.0:8081")]
    [InlineData("http://[::]:8081")]
    [InlineData("http://10.0.0.5:8081")]
    public void An_admin_listener_beyond_loopback_without_a_token_is_an_error_naming_the_keys_and_the_ways_out(string admin)
    {
        var error = Assert.Single(Errors($$"""{ "Admin": "{{admin}}" }"""));

        Assert.Equal("DnsBridge:Listen:Admin", error.Path);
        Assert.Contains(admin, error.Message, StringComparison.Ordinal);
        Assert.Contains("Listen:AdminToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("Listen:AllowAnonymousAdmin", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData($$"""{ "Admin": "http://0.0.0.0:8081", "AdminToken": "{{Token}}" }""")]
    [InlineData("""{ "Admin": "http://0.0.0.0:8081", "AllowAnonymousAdmin": true }""")]
    [InlineData("""{ "Admin": "http://[::]:8081", "AllowAnonymousAdmin": true }""")]
    [InlineData("""{ "Admin": "http://127.0.0.1:8081" }""")]
    [InlineData("""{ "Admin": "http://localhost:8081" }""")]
    [InlineData("""{ "Admin": "http://[::1]:8081" }""")]
    [InlineData("{ }")]
    public void A_token_the_explicit_opt_out_or_loopback_is_valid(string listen) => Assert.Empty(Errors(listen));

    [Fact]
    public void A_wildcard_that_is_no_address_stays_an_address_error_even_with_a_token()
    {
        var error = Assert.Single(Errors($$"""{ "Admin": "http://*:8081", "AdminToken": "{{Token}}" }"""));
        Assert.Equal("DnsBridge:Listen:Admin", error.Path);
    }

    [Fact]
    public void AllowAnonymousAdmin_must_be_a_boolean()
    {
        var error = Assert.Single(Errors("""{ "Admin": "http://127.0.0.1:8081", "AllowAnonymousAdmin": "maybe" }"""));
        Assert.Equal("DnsBridge:Listen:AllowAnonymousAdmin", error.Path);
    }
}
