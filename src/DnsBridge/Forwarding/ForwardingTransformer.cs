using System.Net;
using DnsBridge.Residual;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>
/// Copies the request as YARP does, then makes it look as if the client had reached the target directly: the
/// Host is the matched host name (which also makes it the SNI and the certificate name), and the forwarding
/// headers say who asked. One instance per host name, so nothing is allocated to pick the Host.
/// </summary>
/// <remarks>
/// Forwarding headers are believed only from a trusted proxy (<c>TrustedProxies</c>, the source LB), the same
/// rule <see cref="ClientAddressResolver"/> counts residual clients by. From a trusted peer the chain it sent is
/// kept and this hop appended (X-Forwarded-For, Forwarded), and its X-Forwarded-Proto/Host stay; from any other peer
/// whatever it claims is dropped and replaced by what DnsBridge saw, so a client cannot plant a fake address or
/// scheme for the target to believe.
/// </remarks>
internal sealed class ForwardingTransformer(string host, ClientAddressResolver clients) : HttpTransformer
{
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";

    public string Host { get; } = host;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;
        var headers = proxyRequest.Headers;
        headers.Host = Host;

        var peer = httpContext.Connection.RemoteIpAddress;
        var trusted = peer is not null && clients.IsTrusted(peer);

        headers.Remove(XForwardedFor);
        if (peer is not null)
        {
            Append(headers, XForwardedFor, trusted ? request.Headers[XForwardedFor] : default, FormatAddress(peer));
        }

        headers.Remove(ForwardedHeader.Name);
        var chain = trusted ? request.Headers[ForwardedHeader.Name] : default;
        if (trusted && StringValues.IsNullOrEmpty(chain)
            && ForwardedHeader.FromXForwarded(request.Headers[XForwardedFor].ToString(), request.Headers[XForwardedProto].ToString(), request.Headers[XForwardedHost].ToString()) is { } converted)
        {
            chain = converted;
        }

        Append(headers, ForwardedHeader.Name, chain, ForwardedHeader.Element(peer, request.Scheme, request.Host.Value));

        if (!trusted || !request.Headers.ContainsKey(XForwardedProto))
        {
            headers.Remove(XForwardedProto);
            headers.TryAddWithoutValidation(XForwardedProto, request.Scheme);
        }

        if (!trusted || !request.Headers.ContainsKey(XForwardedHost))
        {
            headers.Remove(XForwardedHost);
            headers.TryAddWithoutValidation(XForwardedHost, request.Host.Value);
        }
    }

    /// <summary>IPv4 peers of a dual-stack listener arrive as ::ffff:a.b.c.d; logs and headers want a.b.c.d.</summary>
    public static string FormatAddress(IPAddress address) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private static void Append(System.Net.Http.Headers.HttpRequestHeaders headers, string name, StringValues existing, string hop) =>
        headers.TryAddWithoutValidation(name, StringValues.IsNullOrEmpty(existing) ? hop : $"{existing}, {hop}");
}
