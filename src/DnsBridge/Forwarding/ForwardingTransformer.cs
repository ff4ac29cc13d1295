using System.Net;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>
/// Copies the request as YARP does, then makes it look as if the client had reached the target directly: the
/// Host is the matched host name (which also makes it the SNI and the certificate name), the client address is
/// appended to X-Forwarded-For (the source LB may already have set it), and X-Forwarded-Proto/Host are added when
/// the source LB did not set them. One instance per host name, so nothing is allocated to pick the Host.
/// </summary>
public sealed class ForwardingTransformer(string host) : HttpTransformer
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
        if (peer is not null)
        {
            var client = FormatAddress(peer);
            var existing = request.Headers[XForwardedFor];
            headers.Remove(XForwardedFor);
            headers.TryAddWithoutValidation(XForwardedFor, StringValues.IsNullOrEmpty(existing) ? client : $"{existing}, {client}");
        }

        if (!request.Headers.ContainsKey(XForwardedProto))
        {
            headers.TryAddWithoutValidation(XForwardedProto, request.Scheme);
        }

        if (!request.Headers.ContainsKey(XForwardedHost))
        {
            headers.TryAddWithoutValidation(XForwardedHost, request.Host.Value);
        }
    }

    /// <summary>IPv4 peers of a dual-stack listener arrive as ::ffff:a.b.c.d; logs and headers want a.b.c.d.</summary>
    public static string FormatAddress(IPAddress address) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
