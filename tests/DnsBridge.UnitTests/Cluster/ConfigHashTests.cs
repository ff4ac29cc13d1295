using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DnsBridge.Cluster;
using DnsBridge.Configuration;

namespace DnsBridge.UnitTests.Cluster;

/// <summary>
/// Replicas compare configuration hashes; during a rolling update from the JIT release (reflection-based JSON) to the
/// Native AOT one (source-generated), both must compute the same hash, or every replica is reported as a mismatch.
/// </summary>
public sealed class ConfigHashTests
{
    private static readonly JsonSerializerOptions Reflection = new() { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public void The_hash_is_the_one_the_reflection_based_serializer_gave()
    {
        var config = new DnsBridgeConfig
        {
            Cutovers =
            [
                new CutoverConfig
                {
                    Name = "shop",
                    Hosts = ["shop.example.test", "www.shop.example.test"],
                    Target = new TargetConfig { Address = "203.0.113.10", Port = 8443, ServerName = "shop.example.test", RequestTimeout = TimeSpan.FromSeconds(30) },
                    SourceAddresses = ["198.51.100.7"],
                    Dns = new DnsExpectationConfig { Types = ["A", "AAAA"], Expect = ["203.0.113.10"] },
                    Drain = new DrainConfig { QuietPeriod = TimeSpan.FromMinutes(30), Threshold = 5, Exclude = new ExcludeConfig { Paths = ["/healthz"] } },
                    Ports = [new PortForwardConfig { Listen = "0.0.0.0:2222", Target = 22 }],
                },
            ],
        };
        var expected = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config.Cutovers, Reflection)))[..16];

        Assert.Equal(expected, ClusterMembership.ConfigHash(config));
    }
}
