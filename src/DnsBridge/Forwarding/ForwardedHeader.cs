using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Forwarding;

/// <summary>
/// One element of the RFC 7239 <c>Forwarded</c> header for this hop: <c>for=</c> the peer, <c>proto=</c> the scheme
/// the client used, <c>host=</c> the Host it asked for. Values that are not RFC 7230 tokens (an IPv6 address, a
/// host with a port) are quoted; IPv6 goes in brackets, as RFC 7239 section 6 requires.
/// </summary>
public static class ForwardedHeader
{
    public const string Name = "Forwarded";

    public static string Element(IPAddress? peer, string scheme, string? host)
    {
        var value = $"for={Node(peer)};proto={Quote(scheme)}";
        return string.IsNullOrEmpty(host) ? value : $"{value};host={Quote(host)}";
    }

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
