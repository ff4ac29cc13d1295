using System.Net;
using DnsBridge.Configuration;
using Microsoft.Extensions.Primitives;

namespace DnsBridge.Residual;

/// <summary>
/// Who the client is: the peer, unless the peer is a trusted proxy (the source LB), in which case the right-most
/// X-Forwarded-For address that is not itself a trusted proxy. Spoofed entries further left are ignored.
/// </summary>
internal sealed class ClientAddressResolver
{
    private readonly IPNetwork[] _trusted;

    public ClientAddressResolver(IEnumerable<string> trustedProxies)
    {
        _trusted = [.. trustedProxies.Select(c => ConfigParsers.TryParseCidr(c, out var n) ? n : throw new ArgumentException($"bad CIDR {c}", nameof(trustedProxies)))];
    }

    public IPAddress? Resolve(IPAddress? peer, StringValues forwardedFor)
    {
        if (peer is null)
        {
            return null;
        }

        if (peer.IsIPv4MappedToIPv6)
        {
            peer = peer.MapToIPv4();
        }

        if (!IsTrusted(peer) || StringValues.IsNullOrEmpty(forwardedFor))
        {
            return peer;
        }

        var candidate = peer;
        for (var v = forwardedFor.Count - 1; v >= 0; v--)
        {
            var header = forwardedFor[v].AsSpan();
            while (!header.IsEmpty)
            {
                var comma = header.LastIndexOf(',');
                var part = (comma >= 0 ? header[(comma + 1)..] : header).Trim();
                header = comma >= 0 ? header[..comma] : [];
                if (!TryParse(part, out var address))
                {
                    // Garbage in the chain: stop believing it at this point.
                    return candidate;
                }

                candidate = address;
                if (!IsTrusted(address))
                {
                    return address;
                }
            }
        }

        return candidate;
    }

    private static bool TryParse(ReadOnlySpan<char> value, out IPAddress address)
    {
        if (IPAddress.TryParse(value, out address!))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            return true;
        }

        // "1.2.3.4:5678" and "[v6]:port" forms some proxies write.
        if (IPEndPoint.TryParse(value, out var endpoint))
        {
            address = endpoint.Address;
            return true;
        }

        return false;
    }

    /// <summary>Whether the peer is a trusted proxy, whose forwarding headers are believed and passed on.</summary>
    public bool IsTrusted(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
