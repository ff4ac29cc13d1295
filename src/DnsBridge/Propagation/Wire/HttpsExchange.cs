using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace DnsBridge.Propagation.Wire;

/// <summary>
/// DNS over HTTPS (RFC 8484) to one URL: POST of the wire-format query (no HTTP cache can answer a POST, so the
/// TTL read is the resolver's live one), HTTP/2 preferred with HTTP/1.1 only where ALPN offers nothing better (Quad9
/// and unbound serve HTTP/2 only), dialled at a given IP without resolving the host, or through an egress proxy.
/// Certificates are validated for the URL's host, with an optional CaFile added to the system's roots.
/// </summary>
internal sealed class HttpsExchange : IDisposable
{
    private static readonly MediaTypeHeaderValue DnsMessage = new("application/dns-message");
    private readonly HttpClient _client;
    private readonly Uri _url;

    public HttpsExchange(Uri url, IPEndPoint? dial, string? proxy, string? caFile)
    {
        _url = url;
        var handler = new SocketsHttpHandler
        {
            // A new connection now and then lets a changed anycast site show, as clients would see it.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseProxy = proxy is not null,
            Proxy = proxy is null ? null : new WebProxy(new Uri(proxy)),
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = { RemoteCertificateValidationCallback = Configuration.CaFileTrust.Validator(caFile), CertificateRevocationCheckMode = Configuration.CaFileTrust.RevocationMode },
        };
        if (dial is not null && proxy is null)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(dial.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(dial, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<byte[]> ExchangeAsync(byte[] query, CancellationToken cancellationToken)
    {
        // The version goes on the message: HttpClient.DefaultRequestVersion only reaches requests its helpers build, and
        // SendAsync with a message left at HTTP/1.1 offers no ALPN at all, which unbound's HTTP/2-only DoH port refuses
        // ("bad client magic byte string").
        using var request = new HttpRequestMessage(HttpMethod.Post, _url)
        {
            Content = new ByteArrayContent(query),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Content.Headers.ContentType = DnsMessage;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dns-message"));
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new DnsTransportException(DnsFailureReason.Network, $"DNS over HTTPS: {_url.Host} answered HTTP {(int)response.StatusCode}");
            }

            return await ReadMessageAsync(response.Content, cancellationToken)
                ?? throw new DnsTransportException(DnsFailureReason.Malformed, $"DNS over HTTPS: {_url.Host} answered more than a DNS message ({ushort.MaxValue} bytes): not read further");
        }
        catch (HttpRequestException e)
        {
            throw new DnsTransportException(DnsFailureReason.Network, $"DNS over HTTPS to {_url.Host}: {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>
    /// The body, or null when it is longer than a DNS message can be: read into a buffer of that size plus one byte,
    /// never further, so a server streaming gigabytes costs 64 KiB.
    /// </summary>
    private static async Task<byte[]?> ReadMessageAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > ushort.MaxValue)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[ushort.MaxValue + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return read <= ushort.MaxValue ? buffer[..read] : null;
    }

    public void Dispose() => _client.Dispose();
}
