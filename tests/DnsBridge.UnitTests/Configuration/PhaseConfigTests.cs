using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary><c>SourceBackend</c>, <c>Freeze</c> and <c>Switch</c>: defaults, normalisation, and every refusal with its key path.</summary>
public sealed class PhaseConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string extra, string target = """{ "Address": "203.0.113.10" }""")
    {
        var json = $$"""
            { "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": {{target}}{{extra}} } ] } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Without_a_source_backend_the_cutover_has_no_phases_and_the_defaults_apply()
    {
        var (config, errors) = Load("");

        Assert.Empty(errors);
        var cutover = Assert.Single(config.Cutovers);
        Assert.False(cutover.HasPhases);
        Assert.Null(cutover.SourceBackend);
        Assert.Equal(TimeSpan.FromSeconds(30), cutover.Freeze.Hold);
        Assert.Equal(1000, cutover.Freeze.MaxHeld);
        Assert.Equal("none", cutover.Switch.Auto);
        Assert.Null(cutover.Switch.Require);
    }

    [Fact]
    public void A_source_backend_freeze_and_switch_are_read_and_normalised()
    {
        var (config, errors) = Load("""
            , "SourceBackend": { "Address": "10.0.0.5", "Scheme": "HTTPS", "ServerName": "Shop.Example.COM." },
              "Freeze": { "Hold": "00:00:05", "MaxHeld": 10 },
              "Switch": { "Auto": "DNS", "Require": { "MinMirrored": 1000, "MinStatusMatch": 0.99, "MaxLatencyRatioP99": 2.0 } }
            """);

        Assert.Empty(errors);
        var cutover = Assert.Single(config.Cutovers);
        Assert.True(cutover.HasPhases);
        Assert.Equal(new SourceBackendConfig { Address = "10.0.0.5", Port = 443, Scheme = "https", ServerName = "shop.example.com" }, cutover.SourceBackend);
        Assert.Equal(new FreezeConfig { Hold = TimeSpan.FromSeconds(5), MaxHeld = 10 }, cutover.Freeze);
        Assert.True(cutover.Switch.AutoOnDns);
        Assert.Equal(new SwitchRequireConfig { MinMirrored = 1000, MinStatusMatch = 0.99, MaxLatencyRatioP99 = 2.0 }, cutover.Switch.Require);
    }

    [Fact]
    public void An_http_source_backend_defaults_to_port_80()
    {
        var (config, errors) = Load(""", "SourceBackend": { "Address": "10.0.0.5", "Scheme": "http" }""");

        Assert.Empty(errors);
        Assert.Equal(80, config.Cutovers[0].SourceBackend!.Port);
    }

    [Theory]
    [InlineData("""{ "Port": 443 }""", "DnsBridge:Cutovers:0:SourceBackend:Address", "is required")]
    [InlineData("""{ "Address": "app.internal" }""", "DnsBridge:Cutovers:0:SourceBackend:Address", "must be an IP address")]
    [InlineData("""{ "Address": "203.0.113.10", "Port": 443 }""", "DnsBridge:Cutovers:0:SourceBackend:Address", "is the target itself")]
    [InlineData("""{ "Address": "10.0.0.5", "Port": 70000 }""", "DnsBridge:Cutovers:0:SourceBackend:Port", "must be 1-65535")]
    [InlineData("""{ "Address": "10.0.0.5", "Scheme": "tcp" }""", "DnsBridge:Cutovers:0:SourceBackend:Scheme", "must be http or https")]
    [InlineData("""{ "Address": "10.0.0.5", "Scheme": "http", "ServerName": "shop.example.com" }""", "DnsBridge:Cutovers:0:SourceBackend:ServerName", "only applies to an https")]
    [InlineData("""{ "Address": "10.0.0.5", "CaFile": "/nonexistent/ca.pem" }""", "DnsBridge:Cutovers:0:SourceBackend:CaFile", "file not found")]
    [InlineData("""{ "Address": "10.0.0.5", "Colour": "blue" }""", "DnsBridge:Cutovers:0:SourceBackend:Colour", "unknown key")]
    public void A_bad_source_backend_is_refused_with_its_key_path(string source, string path, string message)
    {
        var (_, errors) = Load($$""", "SourceBackend": {{source}}""");

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_cutover_reaches_its_source_the_same_way()
    {
        var (_, ok) = Load(""", "SourceBackend": { "Address": "10.0.0.5", "Scheme": "tls" }""", """{ "Address": "203.0.113.10", "Scheme": "tls" }""");
        var (_, errors) = Load(""", "SourceBackend": { "Address": "10.0.0.5", "Scheme": "https" }""", """{ "Address": "203.0.113.10", "Scheme": "tls" }""");

        // Only the source backend's errors: a tls cutover also needs Listen:Passthrough, which this file leaves out.
        Assert.DoesNotContain(ok, e => e.Path.Contains("SourceBackend", StringComparison.Ordinal));
        var error = Assert.Single(errors, e => e.Path.Contains("SourceBackend", StringComparison.Ordinal));
        Assert.Equal("DnsBridge:Cutovers:0:SourceBackend:Scheme", error.Path);
        Assert.Contains("must be tls like Target:Scheme", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Hold": "00:00:00" }""", "DnsBridge:Cutovers:0:Freeze:Hold", "must be longer than 00:00:00")]
    [InlineData("""{ "Hold": "01:00:00" }""", "DnsBridge:Cutovers:0:Freeze:Hold", "at most 00:10:00")]
    [InlineData("""{ "Hold": "soon" }""", "DnsBridge:Cutovers:0:Freeze:Hold", "a duration")]
    [InlineData("""{ "MaxHeld": 0 }""", "DnsBridge:Cutovers:0:Freeze:MaxHeld", "must be 1-1000000")]
    public void A_bad_freeze_is_refused_with_its_key_path(string freeze, string path, string message)
    {
        var (_, errors) = Load($$""", "SourceBackend": { "Address": "10.0.0.5" }, "Freeze": {{freeze}}""");

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Auto": "dnss" }""", "DnsBridge:Cutovers:0:Switch:Auto", "must be none or dns")]
    [InlineData("""{ "Require": { "MinMirrored": -1 } }""", "DnsBridge:Cutovers:0:Switch:Require:MinMirrored", "must be 0 or more")]
    [InlineData("""{ "Require": { "MinStatusMatch": 1.5 } }""", "DnsBridge:Cutovers:0:Switch:Require:MinStatusMatch", "must be 0-1")]
    [InlineData("""{ "Require": { "MaxLatencyRatioP99": 0 } }""", "DnsBridge:Cutovers:0:Switch:Require:MaxLatencyRatioP99", "must be more than 0")]
    [InlineData("""{ "Require": { "MinStatusMatch": "most" } }""", "DnsBridge:Cutovers:0:Switch:Require:MinStatusMatch", "a decimal number")]
    [InlineData("""{ "Require": { "MinMatches": 1 } }""", "DnsBridge:Cutovers:0:Switch:Require:MinMatches", "unknown key")]
    public void A_bad_switch_is_refused_with_its_key_path(string @switch, string path, string message)
    {
        var (_, errors) = Load($$""", "SourceBackend": { "Address": "10.0.0.5" }, "Switch": {{@switch}}""");

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Switch_settings_without_a_source_backend_are_refused_rather_than_ignored()
    {
        var (_, errors) = Load(""", "Switch": { "Auto": "dns" }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Cutovers:0:Switch", error.Path);
        Assert.Contains("only applies to a cutover with SourceBackend", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_source_backend_makes_a_different_cutover_config()
    {
        var (a, _) = Load(""", "SourceBackend": { "Address": "10.0.0.5" }""");
        var (b, _) = Load(""", "SourceBackend": { "Address": "10.0.0.6" }""");
        var cutover = a.Cutovers[0];

        Assert.Equal(cutover, cutover with { SourceBackend = cutover.SourceBackend! with { } });
        Assert.NotEqual(cutover, cutover with { SourceBackend = b.Cutovers[0].SourceBackend });
        Assert.NotEqual(cutover, cutover with { Freeze = new FreezeConfig { Hold = TimeSpan.FromSeconds(1) } });
        Assert.NotEqual(cutover, cutover with { Switch = new SwitchConfig { Auto = SwitchConfig.AutoDns } });
    }
}
