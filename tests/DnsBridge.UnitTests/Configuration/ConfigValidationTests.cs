using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

public sealed class ConfigValidationTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string json, string? baseDirectory = null)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, baseDirectory ?? Path.GetTempPath());
    }

    private const string Valid = """
        { "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "Shop.Example.com." ], "Target": { "Address": "203.0.113.10" } } ] } }
        """;

    [Fact]
    public void A_minimal_config_gets_the_documented_defaults()
    {
        var (config, errors) = Load(Valid);

        Assert.Empty(errors);
        var c = Assert.Single(config.Cutovers);
        Assert.Equal(["shop.example.com"], c.Hosts);
        Assert.Equal(443, c.Target.Port);
        Assert.Equal("https", c.Target.Scheme);
        Assert.Equal(TimeSpan.FromSeconds(100), c.Target.Timeout);
        Assert.Null(c.Target.RequestTimeout);
        Assert.Equal(["203.0.113.10"], c.Dns.Expect);
        Assert.Equal(["A"], c.Dns.Types);
        Assert.Equal(TimeSpan.FromHours(1), c.Drain.QuietPeriod);
        Assert.True(c.Drain.Nudge);
        Assert.Equal("http://0.0.0.0:8080", config.Listen.Proxy);
        Assert.Equal("http://127.0.0.1:8081", config.Listen.Admin);
        Assert.Equal("global", config.Resolvers.Preset);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Propagation.Interval);
        Assert.Equal(20, config.Propagation.MaxQuestionsPerSecondPerResolver);
        Assert.Equal("dnsbridge.db", config.State.Path);
    }

    [Fact]
    public void Target_RequestTimeout_is_read_as_a_duration()
    {
        var (config, errors) = Load("""{ "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": [ "a.test" ], "Target": { "Address": "192.0.2.1", "Timeout": "00:00:30", "RequestTimeout": "00:05:00" } } ] } }""");
        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Cutovers[0].Target.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Cutovers[0].Target.RequestTimeout);
    }

    [Fact]
    public void An_http_target_defaults_to_port_80()
    {
        var (config, errors) = Load("""{ "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": [ "a.test" ], "Target": { "Address": "192.0.2.1", "Scheme": "http" } } ] } }""");
        Assert.Empty(errors);
        Assert.Equal(80, config.Cutovers[0].Target.Port);
    }

    [Theory]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Port": 70000 } }""", "DnsBridge:Cutovers:0:Target:Port", "must be 1-65535")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Port": "x" } }""", "DnsBridge:Cutovers:0:Target:Port", "whole number")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "target.example.com" } }""", "DnsBridge:Cutovers:0:Target:Address", "must be an IP address")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "999.1.1.1" } }""", "DnsBridge:Cutovers:0:Target:Address", "must be an IP address")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Timeout": "30" } }""", "DnsBridge:Cutovers:0:Target:Timeout", "hh:mm:ss")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "RequestTimeout": "soon" } }""", "DnsBridge:Cutovers:0:Target:RequestTimeout", "hh:mm:ss")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "RequestTimeout": "00:00:00" } }""", "DnsBridge:Cutovers:0:Target:RequestTimeout", "must be longer than 00:00:00")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "RequestTimeout": "60.00:00:00" } }""", "DnsBridge:Cutovers:0:Target:RequestTimeout", "at most 30.00:00:00")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Scheme": "ftp" } }""", "DnsBridge:Cutovers:0:Target:Scheme", "http or https")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "CaFile": "missing-ca.pem" } }""", "DnsBridge:Cutovers:0:Target:CaFile", "file not found")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "SourceAddresses": ["192.0.2.1"] }""", "DnsBridge:Cutovers:0:Target:Address", "loop")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "SourceAddresses": ["nope"] }""", "DnsBridge:Cutovers:0:SourceAddresses:0", "must be an IP address")]
    [InlineData("""{ "Name": "a", "Hosts": ["*.a.test"], "Target": { "Address": "192.0.2.1" } }""", "DnsBridge:Cutovers:0:Hosts:0", "wildcards")]
    [InlineData("""{ "Name": "a", "Hosts": ["192.0.2.9"], "Target": { "Address": "192.0.2.1" } }""", "DnsBridge:Cutovers:0:Hosts:0", "not an IP")]
    [InlineData("""{ "Name": "a", "Hosts": [], "Target": { "Address": "192.0.2.1" } }""", "DnsBridge:Cutovers:0:Hosts", "at least one")]
    [InlineData("""{ "Name": "a b", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } }""", "DnsBridge:Cutovers:0:Name", "must be 1-63")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Drain": { "QuietPeriod": "soon" } }""", "DnsBridge:Cutovers:0:Drain:QuietPeriod", "hh:mm:ss")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Drain": { "Threshold": -1 } }""", "DnsBridge:Cutovers:0:Drain:Threshold", "0 or more")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Drain": { "Exclude": { "ClientCidrs": ["10.0.0.0/33"] } } }""", "DnsBridge:Cutovers:0:Drain:Exclude:ClientCidrs:0", "CIDR")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Drain": { "Exclude": { "Paths": ["healthz"] } } }""", "DnsBridge:Cutovers:0:Drain:Exclude:Paths:0", "start with '/'")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" }, "Dns": { "Types": ["MX"] } }""", "DnsBridge:Cutovers:0:Dns:Types:0", "A or AAAA")]
    [InlineData("""{ "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1", "Adress": "x" } }""", "DnsBridge:Cutovers:0:Target:Adress", "unknown key")]
    [InlineData("""{ "Name": "a", "Hosts": "a.test", "Target": { "Address": "192.0.2.1" } }""", "DnsBridge:Cutovers:0:Hosts", "must be a list")]
    public void Reports_each_problem_with_its_key_path(string cutover, string path, string message)
    {
        var (_, errors) = Load($$"""{ "DnsBridge": { "Cutovers": [ {{cutover}} ] } }""");

        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "Listen": { "AdminToken": "short" } }""", "DnsBridge:Listen:AdminToken", "at least 16 characters")]
    [InlineData("""{ "Listen": { "AdminToken": "with a space in it, long enough" } }""", "DnsBridge:Listen:AdminToken", "without spaces")]
    [InlineData("""{ "Propagation": { "MaxQuestionsPerSecondPerResolver": 0 } }""", "DnsBridge:Propagation:MaxQuestionsPerSecondPerResolver", "must be a positive integer")]
    [InlineData("""{ "Propagation": { "MaxQuestionsPerSecondPerResolver": -5 } }""", "DnsBridge:Propagation:MaxQuestionsPerSecondPerResolver", "got -5")]
    [InlineData("""{ "Limits": { "MaxConnections": 0 } }""", "DnsBridge:Limits:MaxConnections", "must be 1-1000000")]
    [InlineData("""{ "Limits": { "MaxRequestHeadersBytes": 100 } }""", "DnsBridge:Limits:MaxRequestHeadersBytes", "must be 4096-1048576")]
    [InlineData("""{ "Limits": { "RequestHeadersTimeout": "00:00:00" } }""", "DnsBridge:Limits:RequestHeadersTimeout", "between 00:00:01 and 00:10:00")]
    [InlineData("""{ "Limits": { "KeepAlive": "00:01:00" } }""", "DnsBridge:Limits:KeepAlive", "unknown key")]
    [InlineData("""{ "Limits": { "ShutdownTimeout": "01:00:00" } }""", "DnsBridge:Limits:ShutdownTimeout", "between 00:00:01 and 00:10:00")]
    [InlineData("""{ "Resolvers": { "Custom": [ { "Name": "r", "Address": "192.0.2.53", "Latitude": 50.1 } ] } }""", "DnsBridge:Resolvers:Custom:0:Longitude", "give both or neither")]
    [InlineData("""{ "Resolvers": { "Custom": [ { "Name": "r", "Address": "192.0.2.53", "Latitude": 91, "Longitude": 8 } ] } }""", "DnsBridge:Resolvers:Custom:0:Latitude", "between -90 and 90")]
    [InlineData("""{ "Resolvers": { "Custom": [ { "Name": "r", "Address": "192.0.2.53", "Latitude": 50, "Longitude": -181 } ] } }""", "DnsBridge:Resolvers:Custom:0:Longitude", "between -180 and 180")]
    public void Reports_listener_and_limit_problems_with_their_key_path(string section, string path, string message)
    {
        var root = section.TrimStart().TrimStart('{').TrimEnd().TrimEnd('}');
        var (_, errors) = Load($$"""{ "DnsBridge": { {{root}}, "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ] } }""");

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);

        // The token is a secret: an error about it never repeats it.
        Assert.DoesNotContain("short", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_resolver_location_is_read_in_decimal_degrees()
    {
        var (config, errors) = Load("""
            { "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ],
                "Resolvers": { "Custom": [ { "Name": "fra", "Address": "192.0.2.53", "City": "Frankfurt", "Latitude": 50.11, "Longitude": 8.68 } ] } } }
            """);
        Assert.Empty(errors);
        var custom = Assert.Single(config.Resolvers.Custom);
        Assert.Equal(("Frankfurt", 50.11, 8.68), (custom.City, custom.Latitude, custom.Longitude));

        (_, errors) = Load("""
            { "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ],
                "Resolvers": { "Custom": [ { "Name": "fra", "Address": "192.0.2.53", "Latitude": "north", "Longitude": 8.68 } ] } } }
            """);
        Assert.Contains(errors, e => e.Path == "DnsBridge:Resolvers:Custom:0:Latitude" && e.Message.Contains("decimal degrees", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_every_problem_at_once_not_just_the_first()
    {
        var (_, errors) = Load("""
            { "DnsBridge": {
                "Listen": { "Proxy": "http://0.0.0.0:8080", "Admin": "http://127.0.0.1:8080" },
                "Cutovers": [
                  { "Name": "a", "Hosts": ["a.test", "b.test"], "Target": { "Address": "x", "Port": 0 } },
                  { "Name": "a", "Hosts": ["B.test"], "Target": { "Address": "192.0.2.1", "Timeout": "abc" } } ],
                "Resolvers": { "Preset": "world", "Custom": [ { "Name": "c", "Address": "1.2.3.4:99999" } ] },
                "Propagation": { "Interval": "00:00:05", "Timeout": "00:00:10", "Concurrency": 0 },
                "Alerts": { "Webhooks": [ { "Url": "not a url" } ] },
                "Stat": { }
            } }
            """);

        var paths = errors.Select(e => e.Path).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "DnsBridge:Listen:Admin",
            "DnsBridge:Cutovers:0:Target:Address",
            "DnsBridge:Cutovers:0:Target:Port",
            "DnsBridge:Cutovers:1:Name",
            "DnsBridge:Cutovers:1:Hosts:0",
            "DnsBridge:Cutovers:1:Target:Timeout",
            "DnsBridge:Resolvers:Preset",
            "DnsBridge:Resolvers:Custom:0:Address",
            "DnsBridge:Propagation:Timeout",
            "DnsBridge:Propagation:Concurrency",
            "DnsBridge:Alerts:Webhooks:0:Url",
            "DnsBridge:Stat",
        }, paths);
        Assert.Contains(errors, e => e.Path == "DnsBridge:Cutovers:1:Hosts:0" && e.Message.Contains("already listed at DnsBridge:Cutovers:0:Hosts:1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_TLS_proxy_listener_needs_loadable_certificates()
    {
        var (_, errors) = Load("""
            { "DnsBridge": {
                "Listen": { "ProxyHttps": "https://0.0.0.0:8443", "Certificates": [ { "CertFile": "nope.pem" } ] },
                "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ] } }
            """);

        Assert.Contains(errors, e => e.Path == "DnsBridge:Listen:Certificates:0:CertFile" && e.Message.Contains("file not found", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "DnsBridge:Listen:Certificates:0:KeyFile" && e.Message.Contains("is required", StringComparison.Ordinal));

        (_, errors) = Load("""
            { "DnsBridge": { "Listen": { "ProxyHttps": "http://0.0.0.0:8443" },
                "Cutovers": [ { "Name": "a", "Hosts": ["a.test"], "Target": { "Address": "192.0.2.1" } } ] } }
            """);
        Assert.Contains(errors, e => e.Path == "DnsBridge:Listen:ProxyHttps" && e.Message.Contains("https://ADDRESS:PORT", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "DnsBridge:Listen:Certificates" && e.Message.Contains("at least one certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void Idn_host_names_are_stored_as_punycode()
    {
        var (config, errors) = Load("""{ "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": [ "bücher.example" ], "Target": { "Address": "192.0.2.1" } } ] } }""");
        Assert.Empty(errors);
        Assert.Equal(["xn--bcher-kva.example"], config.Cutovers[0].Hosts);
    }

    [Fact]
    public void A_CaFile_path_is_relative_to_the_config_file()
    {
        var dir = Directory.CreateTempSubdirectory("dnsbridge-ca").FullName;
        try
        {
            using var ca = new FunctionalTests.Infrastructure.TestCertificates();
            File.Move(ca.WriteCaPem(dir), Path.Combine(dir, "ca.pem"));
            var (config, errors) = Load("""{ "DnsBridge": { "Cutovers": [ { "Name": "a", "Hosts": [ "a.test" ], "Target": { "Address": "192.0.2.1", "CaFile": "ca.pem" } } ] } }""", dir);

            Assert.Empty(errors);
            Assert.Equal(Path.Combine(dir, "ca.pem"), config.Cutovers[0].Target.CaFile);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("00:00:30", 30)]
    [InlineData("01:00:00", 3600)]
    [InlineData("1.00:00:00", 86400)]
    public void Durations_are_hh_mm_ss(string raw, int seconds)
    {
        Assert.True(ConfigParsers.TryParseDuration(raw, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("-00:00:01")]
    [InlineData("soon")]
    public void Bare_numbers_and_negative_durations_are_refused(string raw) => Assert.False(ConfigParsers.TryParseDuration(raw, out _));

    public static TheoryData<string> ExampleConfigs() => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "config"), "*.json")
        .Select(f => Path.GetFileName(f)).Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(ExampleConfigs))]
    public void Every_example_in_config_is_valid(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "config", file);
        var (config, errors) = ConfigLoader.Load(path);

        Assert.Empty(errors);
        Assert.NotEmpty(config.Cutovers);
    }
}
