using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation;

/// <summary>The recursive resolvers to ask: the built-in worldwide list (embedded data, with its sources) and/or the configured ones.</summary>
public static class ResolverCatalog
{
    /// <summary>
    /// Starts the name of every authoritative server (<c>auth ns1.example.com</c>): the stored propagation history keeps
    /// names only, and the share over time counts recursive resolvers alone, as the live ratio does.
    /// </summary>
    public const string AuthoritativePrefix = "auth ";

    private static readonly Lazy<IReadOnlyList<ResolverInfo>> Global = new(LoadGlobal);

    public static IReadOnlyList<ResolverInfo> BuiltIn => Global.Value;

    public static IReadOnlyList<ResolverInfo> Build(ResolversConfig config)
    {
        var list = new List<ResolverInfo>();
        if (config.Preset == ResolversConfig.PresetGlobal)
        {
            list.AddRange(BuiltIn);
        }

        foreach (var custom in config.Custom)
        {
            if (ConfigParsers.TryParseEndpoint(custom.Address, 53, out var endpoint))
            {
                var location = custom is { Latitude: { } lat, Longitude: { } lon } ? new ResolverLocation(custom.City ?? custom.Name, lat, lon) : null;
                list.Add(new ResolverInfo(custom.Name, endpoint, custom.Region, "custom", Authoritative: false, location));
            }
        }

        return list;
    }

    /// <summary>The authoritative servers named in <c>Resolvers:AuthoritativeServers</c> (none: find them by NS lookups).</summary>
    public static IReadOnlyList<ResolverInfo> ConfiguredAuthoritative(ResolversConfig config) =>
        [.. config.AuthoritativeServers.Select(a =>
        {
            ConfigParsers.TryParseEndpoint(a, 53, out var endpoint);
            return new ResolverInfo($"{AuthoritativePrefix}{endpoint}", endpoint, "authoritative", "zone", Authoritative: true);
        })];

    private static ResolverLocation Location(JsonElement l) =>
        new(l.GetProperty("city").GetString()!, l.GetProperty("latitude").GetDouble(), l.GetProperty("longitude").GetDouble());

    private static List<ResolverInfo> LoadGlobal()
    {
        using var stream = typeof(ResolverCatalog).Assembly.GetManifestResourceStream("DnsBridge.Propagation.resolvers.json")
            ?? throw new InvalidOperationException("embedded resolver list missing");
        using var json = JsonDocument.Parse(stream);
        return [.. json.RootElement.GetProperty("resolvers").EnumerateArray().Select(r => new ResolverInfo(
            r.GetProperty("name").GetString()!,
            new System.Net.IPEndPoint(System.Net.IPAddress.Parse(r.GetProperty("address").GetString()!), 53),
            r.GetProperty("region").GetString()!,
            r.GetProperty("operator").GetString()!,
            Authoritative: false,
            Location(r.GetProperty("location"))))];
    }
}
