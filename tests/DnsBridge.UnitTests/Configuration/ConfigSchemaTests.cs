using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>
/// config/dnsbridge.schema.json agrees with the reader: the same keys, every example valid, and never stricter than
/// <c>validate</c> (an editor must not flag a file DnsBridge runs with).
/// </summary>
public sealed class ConfigSchemaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-schema").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Examples() => [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "config"), "*.json")
        .Select(f => Path.GetFileName(f)).Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_names_the_schema_and_validates_against_it(string file)
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", file));

        Assert.Equal("dnsbridge.schema.json", (string?)JsonNode.Parse(json)!["$schema"]);
        Assert.Empty(ConfigSchema.Errors(json));
    }

    [Fact]
    public void The_schema_has_exactly_the_keys_the_reader_accepts()
    {
        var schema = JsonNode.Parse(File.ReadAllText(ConfigSchema.FilePath))!;
        var inSchema = new List<string>();
        Collect(schema["properties"]!["DnsBridge"]!, "", inSchema);

        var reader = ReaderKeys.All();

        Assert.NotEmpty(reader);
        Assert.Equal(reader.Except(inSchema).ToList(), Array.Empty<string>());
        Assert.Equal(inSchema.Except(reader).ToList(), Array.Empty<string>());
        Assert.Equal(reader, inSchema);
    }

    [Fact]
    public void The_reader_ignores_a_top_level_schema_property()
    {
        var (_, errors) = Load("""{ "$schema": "dnsbridge.schema.json", "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ] } }""");

        Assert.Empty(errors);
    }

    /// <summary>
    /// Configs with one thing wrong, or written in an unusual but accepted way. Whatever <c>validate</c> accepts the
    /// schema accepts; the second column says whether both refuse it (the schema may let through what only
    /// <c>validate</c> can judge: ranges, names, rules across keys).
    /// </summary>
    public static TheoryData<string, bool> Cases() => new()
    {
        { """ "Target": { "Address": "203.0.113.10" } """, false },
        { """ "Target": { "Address": "shop.example.com" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "Port": "8443" } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Port": "eighty" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "Port": 70000 } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Scheme": "HTTPS" } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Scheme": "ftp" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "Timeout": "00:00:30" } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Timeout": "1.00:00:00" } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Timeout": "30" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "Timeout": "1h" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "AllowInvalidCertificate": "True" } """, false },
        { """ "Target": { "Address": "203.0.113.10", "AllowInvalidCertificate": "yes" } """, true },
        { """ "Target": { "Address": "203.0.113.10", "ServerName": null, "CaFile": null } """, false },
        { """ "Target": { "Address": "203.0.113.10", "Adress": "203.0.113.11" } """, true },
        { """ "target": { "address": "203.0.113.10", "port": 8443 } """, false },
        { """ "Target": "203.0.113.10" """, true },
        { """ "Target": { "Address": "203.0.113.10" }, "SourceAddresses": [ "198.51.100.7" ] """, false },
        { """ "Target": { "Address": "203.0.113.10" }, "SourceAddresses": "198.51.100.7" """, true },
        { """ "Target": { "Address": "203.0.113.10" }, "SourceAddresses": [ "source.example.com" ] """, true },
        { """ "Target": { "Address": "203.0.113.10" }, "Dns": { "ParentNameServers": [ "192.0.2.1:5353" ] } """, false },
        { """ "Target": { "Address": "203.0.113.10" }, "Drain": { "Threshold": "5", "Nudge": false, "Exclude": { "Paths": [ "/healthz" ] } } """, false },
        { """ "Target": { "Address": "203.0.113.10" }, "Drain": { "QuietPeriod": "soon" } """, true },
        { """ "Target": { "Address": "203.0.113.10" }, "Drain": { "Exclude": { "Path": [ "/healthz" ] } } """, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_schema_is_never_stricter_than_validate(string cutover, bool bothRefuse)
    {
        var json = $$"""{ "$schema": "dnsbridge.schema.json", "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], {{cutover}} } ] } }""";

        var (_, errors) = Load(json);
        var schemaErrors = ConfigSchema.Errors(json);

        if (errors.Count == 0)
        {
            Assert.True(schemaErrors.Count == 0, $"validate accepts it, the schema refuses it: {string.Join("; ", schemaErrors)}");
        }

        if (bothRefuse)
        {
            Assert.NotEmpty(errors);
            Assert.NotEmpty(schemaErrors);
        }
    }

    [Theory]
    [InlineData(""" "Limits": { "MaxConnections": "many" } """)]
    [InlineData(""" "Resolvers": { "Preset": "everywhere" } """)]
    [InlineData(""" "Propagation": { "Interval": "30s" } """)]
    [InlineData(""" "Listen": { "Passthrough": "localhost:8443" } """)]
    [InlineData(""" "Alerts": { "Webhooks": [ { "Url": "https://hooks.example.net/x", "Format": "pager" } ] } """)]
    [InlineData(""" "Logging": { "AccessLog": "sometimes" } """)]
    [InlineData(""" "Listen": "http://0.0.0.0:8080" """)]
    [InlineData(""" "Cluster": { "Replica": "a" } """)]
    public void Both_refuse_a_bad_value_outside_the_cutovers(string section)
    {
        var json = $$"""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ], {{section}} } }""";

        Assert.NotEmpty(Load(json).Errors);
        Assert.NotEmpty(ConfigSchema.Errors(json));
    }

    private (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string json)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return ConfigLoader.Load(path);
    }

    private static void Collect(JsonNode node, string path, List<string> keys)
    {
        var properties = (node["items"] is JsonObject items && items["properties"] is not null ? items : node)["properties"] as JsonObject;
        var suffix = node["items"] is JsonObject { } i && i["properties"] is not null ? ":N" : "";
        foreach (var (key, child) in properties ?? [])
        {
            var childPath = path.Length == 0 ? key : $"{path}{suffix}:{key}";
            keys.Add(childPath);
            Collect(child!, childPath, keys);
        }
    }
}
