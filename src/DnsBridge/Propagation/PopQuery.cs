using System.Net;

namespace DnsBridge.Propagation;

/// <summary>
/// The operator-specific questions that name the anycast site (PoP) that answered, for resolvers that send no NSID
/// (research notes §1, dnsglobe): which one a resolver gets comes from the built-in catalog (<c>popQuery</c>) or the
/// resolver's own configuration, never from its address, and its answer is read the way that operator writes it.
/// </summary>
internal static class PopQuery
{
    /// <summary><c>CH TXT id.server</c> (RFC 4892): Cloudflare (<c>FRA</c>), Quad9 (<c>res200.fra.rrdns.pch.net</c>), unbound, nsd, Knot.</summary>
    public const string IdServer = "id.server";

    /// <summary>
    /// <c>TXT o-o.myaddr.l.google.com</c>: the address Google's resolver asked from, mapped to its site by the egress
    /// ranges Google publishes in <c>TXT locations.publicdns.goog</c> (<c>34.64.1.0/24 icn</c>).
    /// </summary>
    public const string Google = "google";

    /// <summary>Where Google lists its egress ranges and their sites (asked after <see cref="Google"/>).</summary>
    public const string GoogleLocations = "locations.publicdns.goog";

    /// <summary><c>TXT debug.opendns.com</c>: several lines, the site in <c>server m84.iad</c>.</summary>
    public const string OpenDns = "opendns";

    public static IReadOnlyList<string> All => Configuration.CustomResolverConfig.PopQueries;

    /// <summary>The name, type and class to ask for <paramref name="kind"/>.</summary>
    public static (string Name, ushort Type, ushort Class) Question(string kind) => kind switch
    {
        IdServer => ("id.server", Wire.DnsWire.TypeTxt, Wire.DnsWire.ClassChaos),
        Google => ("o-o.myaddr.l.google.com", Wire.DnsWire.TypeTxt, Wire.DnsWire.ClassIn),
        OpenDns => ("debug.opendns.com", Wire.DnsWire.TypeTxt, Wire.DnsWire.ClassIn),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown PoP query"),
    };

    /// <summary>
    /// The site named by the TXT texts of the answer, null when none names one. Google's answer also carries the client
    /// subnet it forwarded (<c>edns0-client-subnet …</c>), which says nothing about the site: only the egress address
    /// counts, shown as <c>egress IP</c> until <see cref="GoogleSite"/> names its site.
    /// </summary>
    public static string? Parse(string kind, IReadOnlyList<string> texts) => kind switch
    {
        IdServer => texts.Select(t => t.Trim()).FirstOrDefault(t => t.Length > 0),
        Google => GoogleEgress(texts) is { } egress ? $"egress {egress}" : null,
        OpenDns => texts.Select(t => t.Trim()).FirstOrDefault(t => t.StartsWith("server ", StringComparison.Ordinal))?["server ".Length..].Trim() is { Length: > 0 } site ? site : null,
        _ => null,
    };

    /// <summary>The egress address in Google's <c>o-o.myaddr</c> answer: the text that is an address.</summary>
    public static IPAddress? GoogleEgress(IReadOnlyList<string> texts) =>
        texts.Select(t => IPAddress.TryParse(t.Trim(), out var ip) ? ip : null).FirstOrDefault(ip => ip is not null);

    /// <summary>
    /// The site code (upper case) of the longest <c>PREFIX CODE</c> line of <c>locations.publicdns.goog</c> that holds
    /// <paramref name="egress"/>; null when none does (the list lags new ranges).
    /// </summary>
    public static string? GoogleSite(IPAddress egress, IReadOnlyList<string> locations)
    {
        (int Length, string Code)? best = null;
        foreach (var line in locations)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length >= 2 && IPNetwork.TryParse(parts[0], out var network) && network.Contains(egress)
                && (best is null || network.PrefixLength > best.Value.Length))
            {
                best = (network.PrefixLength, parts[1].ToUpperInvariant());
            }
        }

        return best?.Code;
    }
}
