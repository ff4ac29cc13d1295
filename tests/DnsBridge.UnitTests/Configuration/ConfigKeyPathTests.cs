using System.Text.RegularExpressions;
using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>
/// The validators name keys by <c>nameof</c> of the config records, the reader by the same: this proves the two
/// agree, so an error can never point a user at a key the reader does not know.
/// </summary>
public sealed partial class ConfigKeyPathTests
{
    private const string EverythingWrong = """
        { "DnsBridge": {
          "Listen": { "Proxy": "nowhere", "ProxyHttps": "ftp://x", "Admin": "http://0.0.0.0:9", "Passthrough": "host:1",
                      "ConnectionIdleTimeout": "00:00:00", "ConnectionHalfCloseTimeout": "00:00:00",
                      "Certificates": [ { "CertFile": "/nonexistent/c.pem", "KeyFile": "/nonexistent/k.pem" } ] },
          "Cutovers": [
            { "Name": "bad name!", "Hosts": [ "-x-", "" ], "SourceAddresses": [ "not-ip" ],
              "Target": { "Address": "", "Port": 0, "Scheme": "gopher", "CaFile": "/nonexistent/ca.pem", "Timeout": "00:00:00", "HealthPath": "x", "ProxyProtocol": "v9" },
              "Dns": { "Types": [ "MX" ], "Expect": [ "x" ], "PreviousNameServers": [ "bad server" ], "ParentNameServers": [ "bad" ] },
              "Drain": { "QuietPeriod": "00:00:00", "Threshold": -1, "WebSocketGrace": "-00:00:01", "IdleNudge": "-00:00:01", "Exclude": { "ClientCidrs": [ "x" ] } },
              "Ports": [ { "Listen": "x", "Target": 0 } ],
              "SourceBackend": { "Address": "", "Port": 0, "Scheme": "ftp", "CaFile": "/nonexistent/ca.pem" },
              "Freeze": { "Hold": "00:00:00", "MaxHeld": 0 },
              "Switch": { "Auto": "sometimes", "Require": { "MinMirrored": -1, "MinStatusMatch": 2, "MaxLatencyRatioP99": 0 } },
              "Mirror": { "Share": 2, "Methods": [ "BREW" ], "MaxBodyBytes": -1, "MaxConcurrency": 0, "Amplify": 0, "NoiseShare": 2 } },
            { "Name": "bad name!", "Hosts": [ "a.test" ], "Target": { "Address": "192.0.2.1", "Scheme": "tcp" } } ],
          "Resolvers": { "Preset": "everywhere", "AuthoritativeServers": [ "x" ],
                         "Custom": [ { "Name": "", "Address": "", "Ip": "x", "ClientSubnet": "x", "PopQuery": "x", "Latitude": 100, "Longitude": 200 } ] },
          "Propagation": { "Interval": "00:00:00", "Timeout": "00:00:00", "Concurrency": 0, "MaxQuestionsPerSecondPerResolver": 0,
                           "Transport": "pigeon", "HttpProxy": "x", "CaFile": "/nonexistent/ca.pem",
                           "ClientSubnets": [ { "Name": "", "Subnet": "x" } ],
                           "Vantages": [ { "Name": "", "Url": "ftp://x?y" }, { "Name": "local", "Url": "http://192.0.2.9:8081" } ] },
          "Alerts": { "GiveUpAfter": "00:00:00",
                      "Webhooks": [ { "Url": "x" }, { "Url": "https://hooks.example.net/a", "Format": "pager" }, { "Name": "email", "Url": "https://hooks.example.net/b" } ],
                      "Email": { "Host": "", "Port": 0, "From": "a.@example.com", "To": [ "x" ], "CaFile": "/nonexistent/ca.pem" } },
          "State": { "Provider": "oracle", "Path": "", "ConnectionString": "x" },
          "Cluster": { "ReplicaName": "" },
          "Logging": { "BufferEvents": 1 },
          "Limits": { "MaxConnections": 0, "MaxRequestHeadersBytes": 1, "RequestHeadersTimeout": "00:00:00", "KeepAliveTimeout": "00:00:00", "ShutdownTimeout": "00:00:00" },
          "TrustedProxies": [ "x" ] } }
        """;

    [Fact]
    public void Every_error_names_a_key_the_reader_accepts()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(EverythingWrong))).Build();
        var (_, errors) = ConfigLoader.Read(configuration, Path.GetTempPath());
        var accepted = ReaderKeys.All().ToHashSet(StringComparer.Ordinal);

        var paths = errors.Select(e => Index().Replace(e.Path, ":N")).Distinct().ToList();
        var unknown = paths.Where(p => !Named(p, accepted)).ToList();

        // Breadth: a handful of errors would prove little about the validators' key paths.
        Assert.True(paths.Count >= 60, $"only {paths.Count} distinct error paths:\n{string.Join("\n", paths)}");
        Assert.True(unknown.Count == 0, "errors at keys the reader does not know:\n" + string.Join("\n", unknown));
    }

    /// <summary>A key path (DnsBridge:Listen:Proxy), an element of a list (...:Hosts:N), or a list itself.</summary>
    private static bool Named(string path, HashSet<string> accepted)
    {
        var key = path.StartsWith(DnsBridgeConfig.SectionName + ":", StringComparison.Ordinal) ? path[(DnsBridgeConfig.SectionName.Length + 1)..] : path;
        return accepted.Contains(key) || (key.EndsWith(":N", StringComparison.Ordinal) && accepted.Contains(key[..^2]));
    }

    [GeneratedRegex(@":\d+(?=:|$)")]
    private static partial Regex Index();
}
