using System.Net;

namespace DnsBridge.Configuration;

/// <summary>
/// How a resolver is reached (DESIGN.md "Resolvers and vantage"): <c>IP[:PORT]</c> plain DNS (UDP, TCP on
/// truncation), <c>tls://IP[:PORT]#NAME</c> DNS over TLS (RFC 7858, certificate validated for NAME), or
/// <c>https://HOST[:PORT]/PATH</c> DNS over HTTPS (RFC 8484), dialled at <see cref="EndPoint"/> when an IP is given.
/// </summary>
internal sealed record ResolverAddress
{
    public const string Udp = "udp";
    public const string Dot = "dot";
    public const string Doh = "doh";

    private ResolverAddress(string transport, IPEndPoint? endPoint, string? tlsName, Uri? url)
    {
        Transport = transport;
        EndPoint = endPoint;
        TlsName = tlsName;
        Url = url;
    }

    /// <summary><see cref="Udp"/>, <see cref="Dot"/> or <see cref="Doh"/>.</summary>
    public string Transport { get; }

    /// <summary>Where to dial; null for DoH without an IP (the URL's host is resolved by the system).</summary>
    public IPEndPoint? EndPoint { get; }

    /// <summary>The name the DoT certificate must be valid for (RFC 8310's authentication domain name).</summary>
    public string? TlsName { get; }

    public Uri? Url { get; }

    public static ResolverAddress Plain(IPEndPoint endPoint) => new(Udp, endPoint, null, null);

    /// <summary>Parses one of the three forms; <paramref name="ip"/> is the optional dial address of a DoH URL.</summary>
    public static bool TryParse(string value, string? ip, out ResolverAddress address, out string why)
    {
        address = null!;
        why = "";
        value = value?.Trim() ?? "";
        if (value.StartsWith("tls://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = value["tls://".Length..];
            var hash = rest.IndexOf('#', StringComparison.Ordinal);
            if (hash < 0 || hash == rest.Length - 1)
            {
                why = $"DNS over TLS needs the name its certificate is valid for: tls://IP[:PORT]#NAME, got '{UrlRedaction.Of(value)}'";
                return false;
            }

            if (!ConfigParsers.TryParseEndpoint(rest[..hash], 853, out var endPoint))
            {
                why = $"tls:// takes an IP address, IP:PORT or [IPv6]:PORT before '#', got '{UrlRedaction.Of(rest[..hash])}'";
                return false;
            }

            if (!ConfigParsers.TryNormalizeHostName(rest[(hash + 1)..], out var name, out var nameWhy))
            {
                why = $"the name after '#' {nameWhy}";
                return false;
            }

            address = new ResolverAddress(Dot, endPoint, name, null);
            return ip is null || Fail(out why, "Ip is only for https:// resolvers (a tls:// address already names its IP)");
        }

        if (value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Host.Length == 0)
            {
                why = $"not a URL: '{UrlRedaction.Of(value)}'";
                return false;
            }

            if (url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0)
            {
                why = $"https:// resolver URLs take no query string, fragment or user info (the question goes in the request body), got '{UrlRedaction.Of(value)}'";
                return false;
            }

            IPEndPoint? dial = null;
            if (ip is not null)
            {
                if (!IPAddress.TryParse(ip, out var dialAddress))
                {
                    why = $"Ip must be an IP address, got '{ip}'";
                    return false;
                }

                dial = new IPEndPoint(dialAddress, url.Port);
            }
            else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal))
            {
                dial = new IPEndPoint(literal, url.Port);
            }

            address = new ResolverAddress(Doh, dial, null, url);
            return true;
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            why = $"must be IP[:PORT], tls://IP[:PORT]#NAME or https://HOST[:PORT]/PATH, got '{UrlRedaction.Of(value)}'";
            return false;
        }

        if (!ConfigParsers.TryParseEndpoint(value, 53, out var plain))
        {
            why = $"must be IP, IP:PORT or [IPv6]:PORT (or tls://IP[:PORT]#NAME, https://HOST[:PORT]/PATH), got '{UrlRedaction.Of(value)}'";
            return false;
        }

        address = Plain(plain);
        return ip is null || Fail(out why, "Ip is only for https:// resolvers");
    }

    private static bool Fail(out string why, string message)
    {
        why = message;
        return false;
    }

    /// <summary>The address as configured (normalised): what the API, JSON and table show.</summary>
    public override string ToString() => Transport switch
    {
        Dot => $"tls://{EndPoint}#{TlsName}",
        Doh => Url!.GetLeftPart(UriPartial.Path),
        _ => EndPoint!.ToString(),
    };
}
