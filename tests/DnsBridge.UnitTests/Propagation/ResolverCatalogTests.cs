using System.Net;
using System.Text.Json;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>The built-in worldwide resolver list (<c>Resolvers:Preset: global</c>) is data: it must load and every entry must be usable.</summary>
public sealed class ResolverCatalogTests
{
    private static List<JsonElement> Entries()
    {
        using var stream = typeof(ResolverCatalog).Assembly.GetManifestResourceStream("DnsBridge.Propagation.resolvers.json");
        Assert.NotNull(stream);
        using var json = JsonDocument.Parse(stream);
        return [.. json.RootElement.GetProperty("resolvers").EnumerateArray().Select(e => e.Clone())];
    }

    private static string? Text(JsonElement entry, string property) =>
        entry.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [Fact]
    public void The_built_in_list_loads_with_one_resolver_per_entry()
    {
        var entries = Entries();
        Assert.True(entries.Count >= 20, $"only {entries.Count} built-in resolvers");
        Assert.Equal(entries.Count, ResolverCatalog.BuiltIn.Count);
        Assert.All(ResolverCatalog.BuiltIn, r =>
        {
            Assert.False(r.Authoritative);
            Assert.Equal(53, r.EndPoint.Port);
        });
    }

    [Fact]
    public void Every_entry_has_a_location_on_the_map_with_its_source()
    {
        Assert.All(Entries(), e =>
        {
            var name = Text(e, "name");
            Assert.True(e.TryGetProperty("location", out var l), $"{name}: no location");
            Assert.False(string.IsNullOrWhiteSpace(Text(l, "city")), $"{name}: no city");
            Assert.InRange(l.GetProperty("latitude").GetDouble(), -90, 90);
            Assert.InRange(l.GetProperty("longitude").GetDouble(), -180, 180);
            Assert.Contains("https://", Text(l, "source"), StringComparison.Ordinal);
        });
        Assert.All(ResolverCatalog.BuiltIn, r => Assert.NotNull(r.Location));
        Assert.Equal("Hangzhou, CN", ResolverCatalog.BuiltIn.Single(r => r.Name == "alidns").Location!.City);
    }

    [Fact]
    public void Every_entry_has_a_unique_name_a_parseable_address_a_region_an_operator_and_its_sources()
    {
        var entries = Entries();
        Assert.All(entries, e =>
        {
            var name = Text(e, "name");
            Assert.False(string.IsNullOrWhiteSpace(name), e.ToString());
            Assert.True(IPAddress.TryParse(Text(e, "address"), out _), $"{name}: address {Text(e, "address")}");
            Assert.False(string.IsNullOrWhiteSpace(Text(e, "region")), $"{name}: no region");
            Assert.False(string.IsNullOrWhiteSpace(Text(e, "operator")), $"{name}: no operator");
            Assert.True(e.TryGetProperty("sources", out var sources) && sources.ValueKind == JsonValueKind.Array && sources.GetArrayLength() > 0, $"{name}: no source");
            Assert.All(sources.EnumerateArray(), s => Assert.True(
                Uri.TryCreate(s.GetString(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps, $"{name}: source {s}"));
        });

        // Names label metrics and API rows: two alike would merge two resolvers' series.
        Assert.Empty(entries.GroupBy(e => Text(e, "name"), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(entries.GroupBy(e => IPAddress.Parse(Text(e, "address")!)).Where(g => g.Count() > 1).Select(g => g.Key.ToString()));
    }
}
