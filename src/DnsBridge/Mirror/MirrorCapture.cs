using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace DnsBridge.Mirror;

/// <summary>
/// One sampled request on its way to the source: its method, path and headers taken before forwarding, and the
/// request and response bodies teed as YARP copies them. <see cref="End"/> puts the client's streams back and
/// returns what the copy needs; nothing here waits for anything but the client's own exchange.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The tees wrap the client's own streams, which the server disposes; disposing them here would close the client's.")]
internal sealed class MirrorCapture
{
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        // Hop-by-hop (RFC 9110 7.6.1) and what the copy sets itself.
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
        MirrorEngine.MirrorHeader,
    };

    private readonly HttpContext _context;
    private readonly TeeReadStream? _request;
    private readonly TeeWriteStream _response;
    private readonly long _start;

    private MirrorCapture(HttpContext context, MirrorEngine engine, long start)
    {
        _context = context;
        _start = start;
        Engine = engine;
        var maxBodyBytes = engine.Config.MaxBodyBytes;
        var request = context.Request;
        Method = request.Method;
        Host = request.Host.Value ?? "";
        Path = request.Path.Value ?? "/";
        Query = request.QueryString.Value;
        PathAndQuery = request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        var headers = new List<KeyValuePair<string, string[]>>(request.Headers.Count);
        foreach (var header in request.Headers)
        {
            if (!NotCopied.Contains(header.Key) && !header.Key.StartsWith(':'))
            {
                headers.Add(new(header.Key, header.Value.ToArray()!));
            }
        }

        Headers = headers;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false)
        {
            _request = new TeeReadStream(request.Body, new CaptureBuffer(maxBodyBytes));
            request.Body = _request;
        }

        _response = new TeeWriteStream(context.Response.Body, new CaptureBuffer(maxBodyBytes));
        context.Response.Body = _response;
    }

    /// <summary>The mirror of the request's cutover, which took a slot for this capture.</summary>
    public MirrorEngine Engine { get; }

    public string Method { get; }

    public string Host { get; }

    public string Path { get; }

    public string? Query { get; }

    public string PathAndQuery { get; }

    public IReadOnlyList<KeyValuePair<string, string[]>> Headers { get; }

    /// <summary>Starts teeing. <paramref name="start"/> is the request's <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public static MirrorCapture Begin(HttpContext context, MirrorEngine engine, long start) => new(context, engine, start);

    /// <summary>Restores the client's streams; null when the exchange cannot be copied (told by <paramref name="why"/>).</summary>
    public MirroredExchange? End(bool forwarded, out string why)
    {
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(_start);
        if (_request is not null)
        {
            _context.Request.Body = _request.Inner;
        }

        _context.Response.Body = _response.Inner;
        why = "";
        if (!forwarded)
        {
            why = "source_error";
            return null;
        }

        try
        {
            byte[]? body = null;
            if (_request is not null)
            {
                if (_request.Buffer.Overflowed)
                {
                    why = "request_too_large";
                    return null;
                }

                if (!_request.Ended)
                {
                    why = "request_body_unread";
                    return null;
                }

                body = _request.Buffer.Bytes.Length > 0 ? _request.Buffer.ToArray() : null;
            }

            var response = _context.Response;
            var answer = new MirrorAnswer(
                response.StatusCode,
                response.Headers[HeaderNames.ContentType].ToString() is { Length: > 0 } type ? type : null,
                response.Headers[HeaderNames.ContentEncoding].ToString() is { Length: > 0 } encoding ? encoding : null,
                _response.Buffer.Overflowed ? ReadOnlyMemory<byte>.Empty : _response.Buffer.ToArray(),
                !_response.Buffer.Overflowed);
            return new MirroredExchange(Method, Host, Path, Query, PathAndQuery, Headers, body, answer, elapsed);
        }
        finally
        {
            // The exchange is over (the forwarder returned): nothing writes into the tees any more.
            _request?.Buffer.Dispose();
            _response.Buffer.Dispose();
        }
    }
}

/// <summary>A request the source answered, ready to be copied: all in memory, bounded by <c>MaxBodyBytes</c>.</summary>
internal sealed record MirroredExchange(
    string Method,
    string Host,
    string Path,
    string? Query,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string[]>> Headers,
    byte[]? Body,
    MirrorAnswer Source,
    TimeSpan SourceLatency);
