using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

public sealed class MirrorConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string mirror)
    {
        var json = $$"""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } {{mirror}} } ] } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Mirroring_is_off_by_default_with_the_documented_defaults()
    {
        var (config, errors) = Load("");

        Assert.Empty(errors);
        var m = config.Cutovers[0].Mirror;
        Assert.False(m.Enabled);
        Assert.Equal(0, m.Share);
        Assert.Equal(["GET", "HEAD", "OPTIONS"], m.Methods);
        Assert.Equal(1024 * 1024, m.MaxBodyBytes);
        Assert.Equal(64, m.MaxConcurrency);
        Assert.Equal(1, m.Amplify);
        Assert.Empty(m.IgnoreJsonPaths);
        Assert.Equal(0.01, m.NoiseShare);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var (config, errors) = Load(""", "Mirror": { "Share": "0.25", "Methods": [ "get", "POST" ], "MaxBodyBytes": 1000, "MaxConcurrency": 8, "Amplify": 3, "IgnoreJsonPaths": [ "$.meta.id", "$.items[*].etag" ], "NoiseShare": 0.5 }""");

        Assert.Empty(errors);
        var m = config.Cutovers[0].Mirror;
        Assert.Equal(0.25, m.Share);
        Assert.Equal(["GET", "POST"], m.Methods);
        Assert.Equal(1000, m.MaxBodyBytes);
        Assert.Equal(8, m.MaxConcurrency);
        Assert.Equal(3, m.Amplify);
        Assert.Equal(["$.meta.id", "$.items[*].etag"], m.IgnoreJsonPaths);
        Assert.Equal(0.5, m.NoiseShare);
        Assert.Equal(m, m with { Methods = ["GET", "POST"] });
    }

    [Theory]
    [InlineData("\"Share\": 1.5", "Cutovers:0:Mirror:Share", "between 0 and 1")]
    [InlineData("\"Share\": \"half\"", "Cutovers:0:Mirror:Share", "decimal number")]
    [InlineData("\"NoiseShare\": -0.1", "Cutovers:0:Mirror:NoiseShare", "between 0 and 1")]
    [InlineData("\"Methods\": [ \"FETCH\" ]", "Cutovers:0:Mirror:Methods:0", "must be one of")]
    [InlineData("\"Methods\": []", "Cutovers:0:Mirror:Methods", "at least one method")]
    [InlineData("\"MaxBodyBytes\": -1", "Cutovers:0:Mirror:MaxBodyBytes", "between 0")]
    [InlineData("\"MaxConcurrency\": 0", "Cutovers:0:Mirror:MaxConcurrency", "between 1")]
    [InlineData("\"Amplify\": 11", "Cutovers:0:Mirror:Amplify", "between 1 and 10")]
    [InlineData("\"IgnoreJsonPaths\": [ \"meta.id\" ]", "Cutovers:0:Mirror:IgnoreJsonPaths:0", "must start with '$'")]
    [InlineData("\"IgnoreJsonPaths\": [ \"$.items[x]\" ]", "Cutovers:0:Mirror:IgnoreJsonPaths:0", "[*] or an index")]
    [InlineData("\"Shares\": 1", "Cutovers:0:Mirror:Shares", "did you mean 'Share'")]
    public void Bad_values_are_named_by_their_key_path(string mirror, string path, string message)
    {
        var (_, errors) = Load($", \"Mirror\": {{ {mirror} }}");

        var error = Assert.Single(errors);
        Assert.Equal($"DnsBridge:{path}", error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
