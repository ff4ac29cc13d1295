using System.Diagnostics;
using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Mirror;
using DnsBridge.Phases;
using DnsBridge.Residual;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace DnsBridge.Forwarding;

/// <summary>
/// The whole pipeline of the proxy listener: match the Host against the cutovers, answer anything else locally
/// (421, never an open proxy), count the residual request, and forward it with <see cref="IHttpForwarder"/>.
/// Terminal: nothing else (no admin endpoint) is ever reachable through the proxy listener.
/// </summary>
internal sealed partial class ProxyMiddleware
{
    private static readonly byte[] MisdirectedBody = "421 Misdirected Request: this address forwards only the host names of its configured cutovers.\n"u8.ToArray();
    private static readonly byte[] HeldTooLongBody = "503 Service Unavailable: this site is being switched over; try again in a moment.\n"u8.ToArray();
    private static readonly byte[] ConnectBody = "405 Method Not Allowed: CONNECT is not forwarded, this is not an open proxy.\n"u8.ToArray();
    private static readonly byte[] LoopBody = "508 Loop Detected: this request has already passed through this DnsBridge; two DnsBridge instances forward these hosts to each other.\n"u8.ToArray();

    /// <summary>
    /// This instance's pseudonym (random per instance) in the <c>X-DnsBridge-Via</c> header of what it forwards: a
    /// request that arrives with it already came round a loop, such as a DnsBridge at the source and one at the
    /// target (a rollback) both in the request path; another instance in a chain is not a loop. Not the standard
    /// <c>Via</c>, whose presence changes what targets do (nginx's default <c>gzip_proxied off</c> stops compressing),
    /// while the target must see the request as if the client had come directly.
    /// </summary>
    public const string ViaHeader = "X-DnsBridge-Via";

    private static readonly TimeSpan LoopWarningInterval = TimeSpan.FromMinutes(1);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, WarningGate> _loopWarnings = new(StringComparer.Ordinal);
    private readonly string _via = "dnsbridge-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    private readonly IHttpForwarder _forwarder;
    private readonly RouteTableProvider _routes;
    private readonly ForwardingMetrics _metrics;
    private readonly ConfigMonitor _config;
    private readonly WebSocketNudger _webSockets;
    private readonly TimeProvider _time;
    private readonly MirrorRegistry? _mirrors;
    private readonly ILogger _accessLogger;
    private readonly ILogger _logger;

    public ProxyMiddleware(RequestDelegate next, IHttpForwarder forwarder, RouteTableProvider routes, ForwardingMetrics metrics, ConfigMonitor config, WebSocketNudger webSockets, ILoggerFactory loggers,
        TimeProvider? time = null, MirrorRegistry? mirrors = null)
    {
        _time = time ?? TimeProvider.System;
        _mirrors = mirrors;
        _ = next;
        _forwarder = forwarder;
        _routes = routes;
        _metrics = metrics;
        _config = config;
        _webSockets = webSockets;
        _accessLogger = loggers.CreateLogger("DnsBridge.AccessLog");
        _logger = loggers.CreateLogger<ProxyMiddleware>();
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var request = context.Request;
        var table = _routes.Current;
        if (!table.TryMatch(request.Host.Value, out var route))
        {
            _metrics.UnknownHost.Inc();
            await RespondAsync(context, StatusCodes.Status421MisdirectedRequest, MisdirectedBody);
            return;
        }

        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            _metrics.ConnectMethod.Inc();
            await RespondAsync(context, StatusCodes.Status405MethodNotAllowed, ConnectBody);
            return;
        }

        var via = request.Headers[ViaHeader];
        if (CameThrough(via, _via))
        {
            _metrics.Loop.Inc();
            if (_loopWarnings.GetOrAdd(route.Cutover.Name, static (_, time) => new WarningGate(time, LoopWarningInterval), _time).TryPass(out var heldBack))
            {
                LogLoop(_logger, route.Cutover.Name, request.Method, route.Host, request.Path.Value ?? "/", via.ToString(), heldBack);
            }

            await RespondAsync(context, StatusCodes.Status508LoopDetected, LoopBody);
            return;
        }

        // YARP copies the request's headers, this hop's entry with them.
        request.Headers[ViaHeader] = StringValues.IsNullOrEmpty(via) ? _via : $"{via}, {_via}";

        // Uploads stream through to the target; Kestrel's 30 MB default is for requests we answer ourselves.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var cutover = route.Cutover;
        var userAgent = request.Headers[HeaderNames.UserAgent].ToString();
        var client = table.Clients.Resolve(context.Connection.RemoteIpAddress, request.Headers["X-Forwarded-For"]);
        cutover.Residual.Record(ResidualObservation.Request(request.Path.Value ?? "/", userAgent, client));
        cutover.Nudge?.Seen(client);

        var isWebSocket = IsWebSocket(context);
        if (cutover.Nudge is { } nudge)
        {
            if (isWebSocket)
            {
                _webSockets.Track(context, nudge, cutover.Config.Drain.WebSocketGrace);
            }
            else if (nudge.TryTake())
            {
                Nudge(context, nudge, client);
            }
        }

        ForwarderError error;
        bool cutShort;
        var toTarget = true;
        if (cutover.Phase is null)
        {
            (error, cutShort) = await ForwardAsync(context, route, isWebSocket);
        }
        else
        {
            (error, cutShort, toTarget) = await ForwardByPhaseAsync(context, route, cutover.Phase, isWebSocket);
        }

        var status = context.Response.StatusCode;
        var elapsed = Stopwatch.GetElapsedTime(start);
        cutover.Metrics.Forwarded(status, elapsed.TotalSeconds);
        var targetError = toTarget && error != ForwarderError.None && (cutShort || IsTargetError(error));
        cutover.Health.Record(targetError);
        if (targetError)
        {
            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var reason = cutShort || error == ForwarderError.RequestTimedOut ? "timeout" : TargetHandlerFactory.ReasonOf(exception);
            cutover.Metrics.TargetError(reason);
            LogTargetError(_logger, cutover.Name, reason, error, exception?.GetBaseException().Message ?? "");
        }

        if (_config.Current.Logging.AccessLog && _accessLogger.IsEnabled(LogLevel.Information))
        {
            LogForwarded(_accessLogger, cutover.Name, request.Method, route.Host, request.Path.Value ?? "/", status,
                Math.Round(elapsed.TotalMilliseconds, 2), client is null ? "" : ForwardingTransformer.FormatAddress(client),

                // Capped like the residual keys: a log event waits in the log buffer (65,536 events), and
                // 32 KiB agents there could hold gigabytes while stdout is slow.
                UserAgentKey.Of(userAgent));
        }
    }

    /// <summary>
    /// Forwards with <c>Target.Timeout</c> as YARP's activity timeout (first byte and idle gaps) and, when
    /// <c>Target.RequestTimeout</c> is set, a hard bound over the whole exchange: a timer-backed token only then,
    /// so the default path allocates nothing more. WebSocket upgrades are never bounded, they live on. YARP reports
    /// its own token as a cancellation (502): before the response starts we answer 504 like an activity timeout;
    /// after it started YARP has already aborted the response, so no truncated body passes as complete.
    /// </summary>
    private ValueTask<(ForwarderError Error, bool CutShort)> ForwardAsync(HttpContext context, HostRoute route, bool isWebSocket)
    {
        var cutover = route.Cutover;
        return SendAsync(context, route, route.DestinationPrefix, cutover.Invoker, isWebSocket ? cutover.WebSocketRequestConfig : cutover.RequestConfig,
            isWebSocket ? null : cutover.Config.Target.RequestTimeout);
    }

    /// <summary>One forward to an upstream (target or source backend), bounded by <paramref name="limit"/> when set.</summary>
    private async ValueTask<(ForwarderError Error, bool CutShort)> SendAsync(HttpContext context, HostRoute route, string prefix, HttpMessageInvoker invoker,
        ForwarderRequestConfig requestConfig, TimeSpan? limit)
    {
        if (limit is null)
        {
            return (await _forwarder.SendAsync(context, prefix, invoker, requestConfig, route.Transformer), false);
        }

        using var bound = new CancellationTokenSource(limit.Value);
        var result = await _forwarder.SendAsync(context, prefix, invoker, requestConfig, route.Transformer, bound.Token);
        // Only the timer cancels this source. RequestAborted cannot tell the cases apart: YARP aborts the client's
        // response itself when the bound cuts a response that has started, which also signals RequestAborted.
        var cutShort = result != ForwarderError.None && bound.IsCancellationRequested;
        if (cutShort && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
        }

        return (result, cutShort);
    }

    /// <summary>
    /// A cutover with a source backend: <c>switched</c> forwards to the target as <see cref="ForwardAsync"/> does;
    /// <c>rehearsal</c> and <c>rolled_back</c> to the source backend; <c>frozen</c> (or not known yet) holds the request
    /// on the phase generation's one awaitable until the phase changes (then goes where the new phase says) or
    /// <c>Freeze.Hold</c> runs out (503 with Retry-After); beyond <c>Freeze.MaxHeld</c> held at once, 503 at once.
    /// Nothing reaches either side while frozen. ToTarget is false when the target was not asked.
    /// </summary>
    private async ValueTask<(ForwarderError Error, bool CutShort, bool ToTarget)> ForwardByPhaseAsync(HttpContext context, HostRoute route, PhaseCell phase, bool isWebSocket)
    {
        var cutover = route.Cutover;
        var freeze = cutover.Config.Freeze;
        var (outcome, decided) = await phase.HoldAsync(freeze.Hold, freeze.MaxHeld, _time, context.RequestAborted);
        switch (outcome)
        {
            case PhaseCell.HoldOutcome.Rejected:
                await RespondHeldTooLongAsync(context, freeze.Hold);
                return (ForwarderError.None, false, false);
            case PhaseCell.HoldOutcome.Cancelled:
                // The client gave up while held: nothing was sent anywhere.
                return (ForwarderError.None, false, false);
        }

        if (decided == CutoverPhase.Switched)
        {
            var (error, cutShort) = await ForwardAsync(context, route, isWebSocket);
            return (error, cutShort, true);
        }

        // Rehearsal: a share of the requests is copied to the target once the source's answer is out (Mirror/).
        var capture = decided == CutoverPhase.Rehearsal && _mirrors is not null
            ? MirrorTap.Begin(context, route, _mirrors, isWebSocket, Stopwatch.GetTimestamp())
            : null;
        if (capture is null)
        {
            var (error, cutShort) = await ForwardToSourceAsync(context, route, cutover.Source!, isWebSocket);
            return (error, cutShort, false);
        }

        // In a finally: a forward that throws must still give back the copy's slot among Mirror.MaxConcurrency.
        var forwarded = false;
        try
        {
            var (sourceError, sourceCutShort) = await ForwardToSourceAsync(context, route, cutover.Source!, isWebSocket);
            forwarded = sourceError == ForwarderError.None;
            return (sourceError, sourceCutShort, false);
        }
        finally
        {
            MirrorTap.End(capture, route, forwarded, cutover.Source!.Invoker, route.SourceDestinationPrefix);
        }
    }

    /// <summary>
    /// Forwards to the source backend (<c>rehearsal</c>, <c>rolled_back</c>): its own pool, the request's Host kept, the
    /// client address headers as toward the target, and the target's timeouts: <c>Target.Timeout</c> as the activity
    /// timeout and <c>Target.RequestTimeout</c> as the bound (504 when it cuts a request short before the answer
    /// started), so a hung source backend fails like a hung target. The client's answer is the source's. (Mirroring
    /// hooks in here: a copy to the target must never delay or change this answer.)
    /// </summary>
    private async ValueTask<(ForwarderError Error, bool CutShort)> ForwardToSourceAsync(HttpContext context, HostRoute route, SourceUpstream source, bool isWebSocket)
    {
        var (error, cutShort) = await SendAsync(context, route, route.SourceDestinationPrefix!, source.Invoker, isWebSocket ? source.WebSocketRequestConfig : source.RequestConfig,
            isWebSocket ? null : source.Target.RequestTimeout);
        if (error != ForwarderError.None && (cutShort || IsTargetError(error)))
        {
            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var reason = cutShort || error == ForwarderError.RequestTimedOut ? "timeout" : TargetHandlerFactory.ReasonOf(exception);
            LogSourceError(_logger, route.Cutover.Name, reason, error, exception?.GetBaseException().Message ?? "");
        }

        return (error, cutShort);
    }

    private static Task RespondHeldTooLongAsync(HttpContext context, TimeSpan hold)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(Math.Min(hold.TotalSeconds, 30))).ToString(CultureInfo.InvariantCulture);
        return RespondAsync(context, StatusCodes.Status503ServiceUnavailable, HeldTooLongBody);
    }

    /// <summary>
    /// Makes the client open a new connection, and so ask DNS again, without cutting anything: HTTP/1.1 gets
    /// <c>Connection: close</c> on this response; an HTTP/2 connection gets a graceful GOAWAY, so its streams in
    /// flight finish and the next request comes on a new connection.
    /// </summary>
    private static void Nudge(HttpContext context, NudgeSwitch nudge, System.Net.IPAddress? client)
    {
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
            nudge.Count(NudgeKind.Http1);
            nudge.Nudged(client);
        }
        else if (HttpProtocol.IsHttp2(context.Request.Protocol)
            && context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime
            && !lifetime.ConnectionClosedRequested.IsCancellationRequested)
        {
            lifetime.RequestClose();
            nudge.Count(NudgeKind.Http2);
            nudge.Nudged(client);
        }
    }

    /// <summary>
    /// WebSocket handshakes: an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT. Checked on the headers because the
    /// WebSockets middleware (which would answer IsWebSocketRequest) does not run on the proxy path.
    /// </summary>
    private static bool IsWebSocket(HttpContext context)
    {
        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);
        }

        return context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Failures on the target's side; a client that hangs up or sends a bad body is not the target's fault.</summary>
    private static bool IsTargetError(ForwarderError error) => error is
        ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestBodyDestination
        or ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeResponseDestination or ForwarderError.UpgradeRequestDestination
        or ForwarderError.ResponseHeaders;

    private static bool CameThrough(StringValues via, string pseudonym)
    {
        foreach (var value in via)
        {
            if (value is not null && value.Contains(pseudonym, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static Task RespondAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "{Cutover} {Method} {Host}{Path} {StatusCode} {ElapsedMs} ms client {ClientIp} agent {UserAgent}")]
    private static partial void LogForwarded(ILogger logger, string cutover, string method, string host, string path, int statusCode, double elapsedMs, string clientIp, string userAgent);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Cutover {Cutover}: target error {Reason} ({Error}): {Detail}")]
    private static partial void LogTargetError(ILogger logger, string cutover, string reason, ForwarderError error, string detail);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Cutover {Cutover}: {Method} {Host}{Path} came back through this DnsBridge ({Via}): two instances forward these hosts to each other; answered 508 (and {HeldBack} more since the last warning, at most one a minute)")]
    private static partial void LogLoop(ILogger logger, string cutover, string method, string host, string path, string via, long heldBack);

    [LoggerMessage(EventId = 1710, Level = LogLevel.Warning, Message = "Cutover {Cutover}: source backend error {Reason} ({Error}): {Detail}")]
    private static partial void LogSourceError(ILogger logger, string cutover, string reason, ForwarderError error, string detail);
}
