using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Forwarding;

/// <summary>
/// One element of the RFC 7239 <c>Forwarded</c> header for this hop: <c>for=</c> the peer, <c>proto=</c> the scheme
/// the client used, <c>host=</c> the Host it asked for. Values that are not RFC 7230 tokens (an IPv6 address, a
/// host with a port) are quoted; IPv6 goes in brackets, as RFC 7239 section 6 requires.
/// </summary>
internal static class ForwardedHeader
{
    public const string Name = "Forwarded";

    public static string Element(IPAddress? peer, string scheme, string? host)
    {
        var value = $"for={Node(peer)};proto={Quote(scheme)}";
        return string.IsNullOrEmpty(host) ? value : $"{value};host={Quote(host)}";
    }

    /// <summary>
    /// The chain a trusted peer gave only as X-Forwarded-* (what most load balancers send), as <c>Forwarded</c>
    /// elements: one <c>for=</c> per X-Forwarded-For entry, the first (the client) with the X-Forwarded-Proto and
    /// -Host the balancer saw. Without it the only element would be this hop's, and applications that prefer
    /// <c>Forwarded</c> would take the balancer for the client and plain http for the scheme it used.
    /// </summary>
    public static string? FromXForwarded(string? forwardedFor, string? proto, string? host)
    {
        if (string.IsNullOrWhiteSpace(forwardedFor))
        {
            return null;
        }

        var elements = forwardedFor.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => "for=" + (IPAddress.TryParse(entry, out var ip) ? Node(ip) : IPEndPoint.TryParse(entry, out var ep) ? Node(ep.Address) : "unknown"))
            .ToArray();
        if (elements.Length == 0)
        {
            return null;
        }

        var firstProto = First(proto);
        var firstHost = First(host);
        elements[0] += (firstProto is null ? "" : ";proto=" + Quote(firstProto)) + (firstHost is null ? "" : ";host=" + Quote(firstHost));
        return string.Join(", ", elements);
    }

    private static string? First(string? list) =>
        list?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : null;

    /// <summary>The <c>for=</c> value: a.b.c.d, "[v6]" (no zone: it means nothing beyond this host), or unknown.</summary>
    public static string Node(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        if (address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        return $"\"[{address}]\"";
    }

    /// <summary>A token as it is; anything else as a quoted-string with <c>"</c> and <c>\</c> escaped.</summary>
    public static string Quote(string value)
    {
        if (value.Length > 0 && value.AsSpan().IndexOfAnyExcept(TokenChars) < 0)
        {
            return value;
        }

        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    // RFC 7230 tchar.
    private static readonly System.Buffers.SearchValues<char> TokenChars = System.Buffers.SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
