using System.Text.Json;
using DnsBridge.Configuration;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>The recursive resolvers to ask: the built-in worldwide list (embedded data, with its sources) and/or the configured ones.</summary>
internal static class ResolverCatalog
{
    /// <summary>
    /// Starts the name of every authoritative server (<c>auth ns1.example.com</c>): the stored propagation history keeps
    /// names only, and the share over time counts recursive resolvers alone, as the live ratio does.
    /// </summary>
    public const string AuthoritativePrefix = "auth ";

    private static readonly Lazy<IReadOnlyList<BuiltInResolver>> Global = new(LoadGlobal);

    /// <summary>The built-in list over plain DNS.</summary>
    public static IReadOnlyList<ResolverInfo> BuiltIn => [.. Global.Value.Select(r => r.Plain)];

    /// <summary>The built-in list, each over <paramref name="transport"/> where the operator offers it (else plain DNS).</summary>
    public static IReadOnlyList<ResolverInfo> BuiltInOver(string transport) => [.. Global.Value.Select(r => r.Over(transport))];

    public static IReadOnlyList<ResolverInfo> Build(ResolversConfig config, string transport = ResolverAddress.Udp)
    {
        var list = new List<ResolverInfo>();
        if (config.Preset == ResolversConfig.PresetGlobal)
        {
            list.AddRange(BuiltInOver(transport));
        }

        foreach (var custom in config.Custom)
        {
            if (ResolverAddress.TryParse(custom.Address, custom.Ip, out var via, out _))
            {
                var location = custom is { Latitude: { } lat, Longitude: { } lon } ? new ResolverLocation(custom.City ?? custom.Name, lat, lon) : null;
                var subnet = custom.ClientSubnet is not null && ClientSubnet.TryParse(custom.ClientSubnet, out var parsed) ? parsed : null;
                list.Add(ResolverInfo.Reached(custom.Name, via, custom.Region, "custom") with { Subnet = subnet, SubnetName = subnet?.ToString(), Location = location, PopQuery = custom.PopQuery });
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

    private static List<BuiltInResolver> LoadGlobal()
    {
        using var stream = typeof(ResolverCatalog).Assembly.GetManifestResourceStream("DnsBridge.Propagation.resolvers.json")
            ?? throw new InvalidOperationException("embedded resolver list missing");
        using var json = JsonDocument.Parse(stream);
        return [.. json.RootElement.GetProperty("resolvers").EnumerateArray().Select(r =>
        {
            string? Text(string key) => r.TryGetProperty(key, out var value) ? value.GetString() : null;
            bool? ecs = r.TryGetProperty("ecs", out var e) ? e.GetBoolean() : null;
            var plain = new ResolverInfo(
                Text("name")!,
                new System.Net.IPEndPoint(System.Net.IPAddress.Parse(Text("address")!), 53),
                Text("region")!,
                Text("operator")!,
                Authoritative: false,
                Location(r.GetProperty("location"))) { ForwardsClientSubnet = ecs, PopQuery = PopQueryOf(Text("popQuery")) };
            return new BuiltInResolver(plain, Parse(Text("dot"), null), Parse(Text("doh"), Text("dohIp")));
        })];
    }

    private static string? PopQueryOf(string? kind) =>
        kind is null || PopQuery.All.Contains(kind) ? kind : throw new InvalidOperationException($"embedded resolver list: unknown popQuery '{kind}'");

    private static ResolverAddress? Parse(string? address, string? ip) =>
        address is null ? null
        : ResolverAddress.TryParse(address, ip, out var parsed, out var why) ? parsed
        : throw new InvalidOperationException($"embedded resolver list: {why}");

    private sealed record BuiltInResolver(ResolverInfo Plain, ResolverAddress? Dot, ResolverAddress? Doh)
    {
        public ResolverInfo Over(string transport) => (transport switch
        {
            ResolverAddress.Dot => Dot,
            ResolverAddress.Doh => Doh,
            _ => null,
        }) is { } via ? Plain with { Via = via } : Plain;
    }
}
