using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace DnsBridge.Configuration;

/// <summary>
/// The parsers the validator checks values with and the features then read the same values with, so a value that
/// passed validation always parses the same way at run time.
/// </summary>
internal static partial class ConfigParsers
{
    /// <summary>Listen URLs are <c>http://IP:PORT</c> (or <c>localhost</c>); port 0 picks a free port.</summary>
    public static bool TryParseListenUrl(string url, out IPEndPoint? endpoint, out string why, string scheme = "http")
    {
        endpoint = null;
        why = "";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != scheme || uri.AbsolutePath != "/")
        {
            why = $"must be {scheme}://ADDRESS:PORT, got '{UrlRedaction.Of(url)}'";
            return false;
        }

        IPAddress? address;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address))
        {
            why = $"must listen on an IP address (0.0.0.0, 127.0.0.1, [::]), got host '{uri.Host}'";
            return false;
        }

        if (uri.IsDefaultPort && !url.Contains($":{uri.Port}", StringComparison.Ordinal))
        {
            why = $"must name a port, got '{UrlRedaction.Of(url)}'";
            return false;
        }

        endpoint = new IPEndPoint(address, uri.Port);
        return true;
    }

    /// <summary>
    /// Whether a listen URL is reachable from this host only: <c>localhost</c>, 127.0.0.0/8 or ::1 (IPv4-mapped too).
    /// Anything else counts as reachable from the network: wildcards (0.0.0.0, [::], <c>*</c>, <c>+</c>), other
    /// addresses, host names, and URLs that do not parse.
    /// </summary>
    public static bool IsLoopbackOnly(string listenUrl)
    {
        if (!Uri.TryCreate(listenUrl, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IsLoopback(address));
    }

    /// <summary><see cref="IPAddress.IsLoopback"/>, which also holds for an IPv4 loopback address mapped to IPv6.</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>
    /// Connection listeners are <c>IP:PORT</c> (<c>[v6]:PORT</c>); port 0 (a free port) only where
    /// <paramref name="allowAnyPort"/> says so.
    /// </summary>
    public static bool TryParseListenEndPoint(string value, bool allowAnyPort, out IPEndPoint endpoint, out string why)
    {
        why = "";
        var colon = value.LastIndexOf(':');
        if (!IPEndPoint.TryParse(value, out endpoint!) || colon < 0 || value.EndsWith(']') || !IPAddress.TryParse(value[..colon].Trim('[', ']'), out _))
        {
            why = $"must be IP:PORT (0.0.0.0:5432, [::]:993), got '{value}'";
            return false;
        }

        if (endpoint.Port is < 1 or > 65535 && !(allowAnyPort && endpoint.Port == 0))
        {
            why = $"port must be 1-65535, got '{value}'";
            return false;
        }

        return true;
    }

    /// <summary>Whether two listen endpoints collide: the same port on the same address, or on any address.</summary>
    public static bool Overlaps(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && a.Port != 0
        && (a.Address.Equals(b.Address) || a.Address.Equals(IPAddress.Any) || b.Address.Equals(IPAddress.Any)
            || a.Address.Equals(IPAddress.IPv6Any) || b.Address.Equals(IPAddress.IPv6Any));

    public static bool TryParseCidr(string value, out IPNetwork network)
    {
        if (IPNetwork.TryParse(value, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(value, out var single))
        {
            network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    /// <summary>
    /// An EDNS client subnet: a CIDR of at most /24 (IPv4) or /56 (IPv6), the prefixes RFC 7871 §11.1 recommends and
    /// resolvers cap to anyway; a representative network, never one client's address.
    /// </summary>
    public static bool TryParseClientSubnet(string value, out string why)
    {
        why = "";
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(value[..slash], out var address)
            || !int.TryParse(value[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix))
        {
            why = $"must be a CIDR such as 101.80.0.0/16, got '{value}'";
            return false;
        }

        var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 24 : 56;
        if (prefix < 1 || prefix > max)
        {
            why = $"prefix must be 1-{max} for {(max == 24 ? "IPv4" : "IPv6")} (RFC 7871 privacy: a network, not a client), got '{value}'";
            return false;
        }

        return true;
    }

    /// <summary>Parses <c>IP</c>, <c>IP:PORT</c> or <c>[v6]:PORT</c>.</summary>
    public static bool TryParseEndpoint(string value, int defaultPort, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (IPAddress.TryParse(value, out var bare) && !value.Contains(']', StringComparison.Ordinal))
        {
            endpoint = new IPEndPoint(bare, defaultPort);
            return true;
        }

        if (IPEndPoint.TryParse(value, out var parsed) && parsed.Port != 0)
        {
            endpoint = parsed;
            return true;
        }

        return false;
    }

    /// <summary>Lower-case ASCII host name (IDN converted to punycode, one trailing dot dropped); no IPs, no wildcards.</summary>
    public static bool TryNormalizeHostName(string raw, out string host, out string why)
    {
        host = "";
        why = "";
        var value = raw.Trim();
        if (value.EndsWith('.'))
        {
            value = value[..^1];
        }

        if (value.Length == 0)
        {
            why = "must not be empty";
            return false;
        }

        if (value.Contains('*', StringComparison.Ordinal))
        {
            why = $"wildcards are not supported, list each host name: '{raw}'";
            return false;
        }

        if (IPAddress.TryParse(value.Trim('[', ']'), out _))
        {
            why = $"must be a host name, not an IP address: '{raw}'";
            return false;
        }

        try
        {
            value = new IdnMapping().GetAscii(value).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            why = $"is not a valid host name: '{raw}'";
            return false;
        }

        if (value.Length > 253 || !HostPattern().IsMatch(value))
        {
            why = $"is not a valid host name: '{raw}'";
            return false;
        }

        host = value;
        return true;
    }

    /// <summary>
    /// <c>hh:mm:ss</c> (with optional <c>d.</c> and fractions). A bare number is refused: TimeSpan would read "30"
    /// as thirty days, a classic way to wait a month for a drain.
    /// </summary>
    public static bool TryParseDuration(string raw, out TimeSpan value)
    {
        value = default;
        return raw.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out value)
            && value >= TimeSpan.Zero;
    }

    [GeneratedRegex("^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();
}
