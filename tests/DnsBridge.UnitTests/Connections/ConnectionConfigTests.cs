using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Connections;

public sealed class ConnectionConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string dnsBridge)
    {
        var json = $$"""{ "DnsBridge": {{dnsBridge}} }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Passthrough_ports_and_PROXY_protocol_are_read_with_their_defaults()
    {
        var (config, errors) = Load("""
            { "Listen": { "Passthrough": "0.0.0.0:8443" },
              "Cutovers": [
                { "Name": "tls", "Hosts": ["shop.example.com"], "Target": { "Address": "203.0.113.10", "Scheme": "tls", "ProxyProtocol": "V2" } },
                { "Name": "mail", "Hosts": ["mail.example.com"], "Target": { "Address": "203.0.113.11", "Scheme": "tcp" },
                  "Ports": [ { "Listen": "0.0.0.0:25", "Target": 25 }, { "Listen": "[::]:993", "Target": 993 } ] } ] }
            """);

        Assert.Empty(errors);
        Assert.Equal("0.0.0.0:8443", config.Listen.Passthrough);
        Assert.False(config.Listen.AcceptProxyProtocol);
        Assert.Equal("v2", config.Cutovers[0].Target.ProxyProtocol);
        Assert.True(config.Cutovers[0].Target.IsPassthrough);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Cutovers[0].Drain.IdleNudge);
        Assert.Equal(TimeSpan.FromHours(1), config.Listen.ConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), config.Listen.ConnectionHalfCloseTimeout);
        Assert.Equal("none", config.Cutovers[1].Target.ProxyProtocol);
        Assert.Equal([new PortForwardConfig { Listen = "0.0.0.0:25", Target = 25 }, new PortForwardConfig { Listen = "[::]:993", Target = 993 }], config.Cutovers[1].Ports);
    }

    [Fact]
    public void The_relay_idle_and_half_close_timeouts_are_read()
    {
        var (config, errors) = Load("""
            { "Listen": { "ConnectionIdleTimeout": "00:10:00", "ConnectionHalfCloseTimeout": "00:00:30" },
              "Cutovers": [ { "Name": "web", "Hosts": ["shop.example.com"], "Target": { "Address": "203.0.113.10" } } ] }
            """);

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromMinutes(10), config.Listen.ConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Listen.ConnectionHalfCloseTimeout);
    }

    [Theory]
    [InlineData("ConnectionIdleTimeout", "00:00:00")]
    [InlineData("ConnectionIdleTimeout", "00:00:00.5")]
    [InlineData("ConnectionHalfCloseTimeout", "00:00:00")]
    [InlineData("ConnectionHalfCloseTimeout", "00:00:00.2")]
    public void A_relay_timeout_that_is_not_positive_is_refused_with_its_key_path(string key, string value)
    {
        var (_, errors) = Load($$"""{ "Listen": { "{{key}}": "{{value}}" } }""");

        Assert.Contains(errors, e => e.Path == $"DnsBridge:Listen:{key}" && e.Message.Contains("positive duration", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_may_be_in_one_HTTP_and_one_passthrough_cutover()
    {
        var (_, errors) = Load("""
            { "Listen": { "Passthrough": "0.0.0.0:8443" },
              "Cutovers": [
                { "Name": "web", "Hosts": ["shop.example.com"], "Target": { "Address": "203.0.113.10" } },
                { "Name": "tls", "Hosts": ["shop.example.com"], "Target": { "Address": "203.0.113.10", "Scheme": "tls" } } ] }
            """);

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("""{ "Listen": { "Passthrough": "0.0.0.0:8443" }, "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tls" } }, { "Name": "b", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.2", "Scheme": "tls" } } ] }""",
        "DnsBridge:Cutovers:1:Hosts:0", "already listed")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "127.0.0.1:2525", "Target": 25 } ] }, { "Name": "b", "Hosts": ["b.test"], "Target": { "Address": "192.0.2.2", "Scheme": "tcp" }, "Ports": [ { "Listen": "127.0.0.1:2525", "Target": 26 } ] } ] }""",
        "DnsBridge:Cutovers:1:Ports:0:Listen", "already taken by DnsBridge:Cutovers:0:Ports:0:Listen")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "0.0.0.0:8080", "Target": 25 } ] } ] }""",
        "DnsBridge:Cutovers:0:Ports:0:Listen", "already taken by DnsBridge:Listen:Proxy")]
    [InlineData("""{ "Listen": { "Passthrough": "127.0.0.1:8081" }, "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tls" } } ] }""",
        "DnsBridge:Listen:Passthrough", "already taken by DnsBridge:Listen:Admin")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "0.0.0.0:0", "Target": 25 } ] } ] }""",
        "DnsBridge:Cutovers:0:Ports:0:Listen", "port must be 1-65535")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "0.0.0.0:2525", "Target": 70000 } ] } ] }""",
        "DnsBridge:Cutovers:0:Ports:0:Target", "must be a port 1-65535")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "mail.test:25", "Target": 25 } ] } ] }""",
        "DnsBridge:Cutovers:0:Ports:0:Listen", "must be IP:PORT")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tls" } } ] }""",
        "DnsBridge:Cutovers:0:Target:Scheme", "needs Listen:Passthrough")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" } } ] }""",
        "DnsBridge:Cutovers:0:Ports", "at least one port forward")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "ProxyProtocol": "v2" } } ] }""",
        "DnsBridge:Cutovers:0:Target:ProxyProtocol", "connection forwarding only")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "ProxyProtocol": "v3" } } ] }""",
        "DnsBridge:Cutovers:0:Target:ProxyProtocol", "must be none, v1 or v2")]
    [InlineData("""{ "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Drain": { "IdleNudge": "00:00:00" } } ] }""",
        "DnsBridge:Cutovers:0:Drain:IdleNudge", "longer than")]
    [InlineData("""{ "Listen": { "Passthrough": "8443" }, "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ] }""",
        "DnsBridge:Listen:Passthrough", "must be IP:PORT")]
    public void Bad_connection_forwarding_settings_are_errors_at_their_key_path(string dnsBridge, string path, string message)
    {
        var (_, errors) = Load(dnsBridge);

        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }
}
