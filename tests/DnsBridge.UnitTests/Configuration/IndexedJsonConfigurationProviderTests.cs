using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>The indexed JSON provider answers exactly as the framework's, before and after a reload.</summary>
public sealed class IndexedJsonConfigurationProviderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dnsbridge-indexed").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string First = """
        { "DnsBridge": {
            "Listen": { "Proxy": "http://0.0.0.0:8080", "AdminToken": "" },
            "Cutovers": [
              { "Name": "shop", "Hosts": [ "shop.example.com", "www.shop.example.com" ], "Target": { "Address": "203.0.113.10", "Port": 443 },
                "Drain": { "Exclude": { "Paths": [ "/healthz" ], "UserAgents": [] } } },
              { "name": "blog", "HOSTS": [ "blog.example.com" ], "Target": { "address": "203.0.113.11" } }
            ],
            "Resolvers": { "Custom": [ { "Name": "a", "Address": "127.0.0.1" } ] },
            "Empty": {},
            "Value": 3 } }
        """;

    private const string Second = """
        { "DnsBridge": { "Cutovers": [ { "Name": "api", "Hosts": [ "api.example.com" ], "Target": { "Address": "203.0.113.12" } } ] } }
        """;

    [Fact]
    public void Every_section_has_the_same_children_and_values_as_with_the_framework_provider_also_after_a_reload()
    {
        var file = Path.Combine(_directory, "dnsbridge.json");
        File.WriteAllText(file, First);
        var stock = new ConfigurationBuilder().SetBasePath(_directory).AddJsonFile("dnsbridge.json").Build();
        var indexed = new ConfigurationBuilder().SetBasePath(_directory).Add<IndexedJsonConfigurationSource>(s => s.Path = "dnsbridge.json").Build();

        Assert.Equal(Walk(stock), Walk(indexed));
        Assert.Contains("DnsBridge:Cutovers:1:HOSTS:0=blog.example.com", Walk(indexed));
        Assert.Equal(["0", "1"], indexed.GetSection("dnsbridge:cutovers").GetChildren().Select(c => c.Key));
        Assert.Empty(indexed.GetSection("DnsBridge:Nothing").GetChildren());

        File.WriteAllText(file, Second);
        stock.Reload();
        indexed.Reload();

        Assert.Equal(Walk(stock), Walk(indexed));
        Assert.Equal("api", indexed["DnsBridge:Cutovers:0:Name"]);
        Assert.Single(indexed.GetSection("DnsBridge:Cutovers").GetChildren());
    }

    [Fact]
    public void A_wave_of_cutovers_reads_the_same_config_as_with_the_framework_provider()
    {
        var cutovers = string.Join(",", Enumerable.Range(0, 300).Select(i =>
            $$"""{ "Name": "c{{i}}", "Hosts": [ "c{{i}}.example.com" ], "Target": { "Address": "203.0.113.{{i % 250}}" }, "Drain": { "Threshold": {{i}} } }"""));
        File.WriteAllText(Path.Combine(_directory, "wave.json"), $$"""{ "DnsBridge": { "Cutovers": [ {{cutovers}} ] } }""");

        var stock = ConfigLoader.Read(new ConfigurationBuilder().SetBasePath(_directory).AddJsonFile("wave.json").Build(), _directory);
        var indexed = ConfigLoader.Read(new ConfigurationBuilder().SetBasePath(_directory).Add<IndexedJsonConfigurationSource>(s => s.Path = "wave.json").Build(), _directory);

        Assert.Empty(indexed.Errors);
        Assert.Equal(300, indexed.Config.Cutovers.Count);
        Assert.Equal(stock.Config.Cutovers.Select(c => (c.Name, c.Hosts[0], c.Target.Address, c.Drain.Threshold)),
            indexed.Config.Cutovers.Select(c => (c.Name, c.Hosts[0], c.Target.Address, c.Drain.Threshold)));
        Assert.Equal("c299", indexed.Config.Cutovers[299].Name);
    }

    /// <summary>Every path in traversal order, with its value: children order included.</summary>
    private static List<string> Walk(IConfiguration configuration)
    {
        var lines = new List<string>();
        void Visit(IEnumerable<IConfigurationSection> sections)
        {
            foreach (var section in sections)
            {
                lines.Add($"{section.Path}={section.Value}");
                Visit(section.GetChildren());
            }
        }

        Visit(configuration.GetChildren());
        return lines;
    }
}
