using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary><c>Dns:PreviousNameServers</c> and <c>Dns:ParentNameServers</c>: what is accepted, normalised and refused, with key paths.</summary>
public sealed class DelegationConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string dns, string resolvers = "{}")
    {
        var json = $$"""
            { "DnsBridge": { "Resolvers": {{resolvers}}, "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" }, "Dns": {{dns}} } ] } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Addresses_ports_and_host_names_are_accepted_and_normalised()
    {
        var (config, errors) = Load("""{ "PreviousNameServers": [ "192.0.2.53", "192.0.2.54:5353", "[2001:db8::53]:53", "NS1.Old-Provider.NET." ], "ParentNameServers": [ "192.0.2.1:53" ] }""");

        Assert.Empty(errors);
        var dns = Assert.Single(config.Cutovers).Dns;
        Assert.Equal(["192.0.2.53:53", "192.0.2.54:5353", "[2001:db8::53]:53", "ns1.old-provider.net"], dns.PreviousNameServers);
        Assert.Equal(["192.0.2.1:53"], dns.ParentNameServers);
    }

    [Theory]
    [InlineData("not a server!")]
    [InlineData("192.0.2.1:99999")]
    [InlineData("")]
    public void A_previous_server_that_is_neither_an_address_nor_a_name_is_refused(string entry)
    {
        var (_, errors) = Load($$"""{ "PreviousNameServers": [ "192.0.2.53", "{{entry}}" ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Cutovers:0:Dns:PreviousNameServers:1", error.Path);
        Assert.Contains("must be IP, IP:PORT, [IPv6]:PORT or a name server's host name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_server_as_previous_and_current_is_refused_with_both_key_paths()
    {
        var (_, errors) = Load("""{ "PreviousNameServers": [ "192.0.2.53" ] }""", """{ "AuthoritativeServers": [ "192.0.2.99", "192.0.2.53:53" ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Cutovers:0:Dns:PreviousNameServers:0", error.Path);
        Assert.Contains("also a current authoritative server (DnsBridge:Resolvers:AuthoritativeServers:1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parent_server_must_be_an_address_and_duplicates_are_refused()
    {
        var (_, errors) = Load("""{ "PreviousNameServers": [ "192.0.2.53", "192.0.2.53:53" ], "ParentNameServers": [ "a.gtld-servers.net" ] }""");

        Assert.Equal(["DnsBridge:Cutovers:0:Dns:PreviousNameServers:1", "DnsBridge:Cutovers:0:Dns:ParentNameServers:0"], errors.Select(e => e.Path));
    }
}
