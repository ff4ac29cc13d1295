using System.Buffers;
using System.Diagnostics;
using DnsBridge.Configuration;

namespace DnsBridge.Mirror;

/// <summary>Where a cutover's copies go: the target as forwarding reaches it, and the source for the noise answers.</summary>
/// <param name="TargetPrefix">The forwarding URI prefix for the request's host (its host part is the TLS name).</param>
/// <param name="Source">The source backend, for the second source answer of a noise sample; null: no noise learning.</param>
internal sealed record MirrorEndpoints(
    HttpMessageInvoker Target,
    string TargetPrefix,
    Version Version,
    HttpVersionPolicy VersionPolicy,
    TimeSpan Timeout,
    HttpMessageInvoker? Source,
    string? SourcePrefix);

/// <summary>
/// The mirror of one cutover. <see cref="Sample"/> decides on the client's path, cheaply and without allocating;
/// everything else runs after the source's answer, in the background: <see cref="Dispatch"/> queues nothing,
/// it takes a slot among <c>MaxConcurrency</c> or drops the copy and counts it, and a copy in its slot goes only when
/// <see cref="SpareCapacity"/> finds CPU to spare (clients first). Each copy goes to the target with
/// the client's Host (so the same SNI and certificate name as forwarding) and <c>X-DnsBridge-Mirror: 1</c>; a
/// <c>NoiseShare</c> of them is also sent to the source again, and the fields that differ between the two
/// source answers are learned as noise of the path group.
/// </summary>
internal sealed partial class MirrorEngine
{
    public const string MirrorHeader = "X-DnsBridge-Mirror";

    private readonly MirrorMetrics.Series _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SpareCapacity _spare;
    private volatile Settings _settings;
    private int _inFlight;
    private long _lastDropLog;

    public MirrorEngine(string cutover, MirrorConfig config, MirrorMetrics.Series metrics, SpareCapacity spare, TimeProvider time, ILogger logger)
    {
        Cutover = cutover;
        _metrics = metrics;
        _spare = spare;
        _time = time;
        _logger = logger;
        _settings = new Settings(config, new JsonDiff(config.IgnoreJsonPaths));
        Results = new MirrorResults(time);
    }

    public string Cutover { get; }

    public MirrorConfig Config => _settings.Config;

    public MirrorResults Results { get; }

    /// <summary>Copies in flight now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a new configuration; results and copies in flight stay.</summary>
    public void Configure(MirrorConfig config)
    {
        if (config != _settings.Config)
        {
            _settings = new Settings(config, new JsonDiff(config.IgnoreJsonPaths));
        }
    }

    /// <summary>Whether to copy this request: mirroring on, the method listed, and the dice say so.</summary>
    public bool Sample(string method)
    {
        var config = _settings.Config;
        if (!config.Enabled || !IsListed(config.Methods, method))
        {
            return false;
        }

        return config.Share >= 1 || Random.Shared.NextDouble() < config.Share;
    }

    private static bool IsListed(IReadOnlyList<string> methods, string method)
    {
        for (var i = 0; i < methods.Count; i++)
        {
            if (string.Equals(methods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A sampled request that could not be copied (body too large, source failed): counted as dropped.</summary>
    public void Drop(string reason)
    {
        Results.Drop();
        _metrics.Count(MirrorOutcome.Dropped);
        LogDropped(reason);
    }

    /// <summary>
    /// Takes one of the <c>MaxConcurrency</c> slots before a request is captured, so what the mirror holds in memory
    /// (captures in progress and copies in flight, each at most twice <c>MaxBodyBytes</c>) stays bounded; false (and
    /// counted as dropped) when none is free.
    /// </summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _inFlight) > _settings.Config.MaxConcurrency)
        {
            Interlocked.Decrement(ref _inFlight);
            // Slots full of copies waiting for spare CPU: the operator's answer is capacity, not MaxConcurrency.
            Drop(_spare.Waiting > 0 ? "busy" : "concurrency");
            return false;
        }

        return true;
    }

    /// <summary>Gives back a slot taken by <see cref="TryReserve"/> for a capture that will not be copied.</summary>
    public void Release() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// Sends <c>Amplify</c> copies of <paramref name="exchange"/> in the background and returns at once. With
    /// <paramref name="reserved"/> the first copy uses the slot the capture took; every other copy takes its own.
    /// </summary>
    public void Dispatch(MirroredExchange exchange, MirrorEndpoints endpoints, bool reserved = false)
    {
        var settings = _settings;
        for (var i = 0; i < settings.Config.Amplify; i++)
        {
            if (!(reserved && i == 0) && !TryReserve())
            {
                continue;
            }

            var noise = i == 0 && endpoints.Source is not null && settings.Config.NoiseShare > 0
                && (settings.Config.NoiseShare >= 1 || Random.Shared.NextDouble() < settings.Config.NoiseShare);
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(() => CopyAsync(exchange, endpoints, settings, noise));
            }
        }
    }

    private async Task CopyAsync(MirroredExchange exchange, MirrorEndpoints endpoints, Settings settings, bool noise)
    {
        try
        {
            if (!await _spare.WaitAsync())
            {
                Drop("busy");
                return;
            }

            var group = PathGroup.Of(exchange.Path);
            if (noise)
            {
                var second = await SendAsync(endpoints.Source!, endpoints.SourcePrefix!, exchange, endpoints, settings.Config.MaxBodyBytes);
                if (second.Answer is { } again)
                {
                    var seen = MirrorComparer.Compare(exchange.Source, again, settings.Json, null);
                    if (seen.Outcome != MirrorOutcome.StatusMismatch)
                    {
                        Results.LearnNoise(group, seen.Fields);
                    }
                }
            }

            var target = await SendAsync(endpoints.Target, endpoints.TargetPrefix, exchange, endpoints, settings.Config.MaxBodyBytes);
            _metrics.Duration(exchange.SourceLatency, target.Answer is null ? null : target.Elapsed);
            Comparison comparison;
            if (target.Answer is not { } answer)
            {
                comparison = new Comparison(MirrorOutcome.TargetError, false, []);
                LogTargetFailed(_logger, Cutover, exchange.Method, Redaction.PathAndQuery(exchange.Path, exchange.Query), target.Error ?? "");
            }
            else
            {
                comparison = MirrorComparer.Compare(exchange.Source, answer, settings.Json, Results.NoiseOf(group));
            }

            _metrics.Count(comparison.Outcome);
            Results.Record(new CopyResult(
                group,
                comparison.Outcome,
                exchange.Source.Status,
                target.Answer?.Status,
                comparison.BodyCompared,
                comparison.Fields,
                exchange.SourceLatency,
                target.Answer is null ? null : target.Elapsed,
                comparison.Outcome == MirrorOutcome.Match ? null : SampleOf(exchange, target, comparison)));
        }
#pragma warning disable CA1031 // A copy must never take anything down; it is logged and counted as a target error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogCopyFailed(_logger, Cutover, e.GetBaseException().Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private MirrorSample SampleOf(MirroredExchange exchange, (MirrorAnswer? Answer, TimeSpan Elapsed, string? Error) target, Comparison comparison) => new(
        _time.GetUtcNow(),
        comparison.Outcome switch
        {
            MirrorOutcome.TargetError => "target_error",
            MirrorOutcome.StatusMismatch => "status",
            _ => "body",
        },
        exchange.Method,
        Redaction.PathAndQuery(exchange.Path, exchange.Query),
        exchange.Source.Status,
        target.Answer?.Status,
        exchange.Source.ContentType,
        target.Answer?.ContentType,
        comparison.Differences,
        target.Error,
        [.. exchange.Headers.Take(24).Select(h => new KeyValuePair<string, string>(h.Key, Redaction.Header(h.Key, string.Join(", ", h.Value))))]);

    private static async Task<(MirrorAnswer? Answer, TimeSpan Elapsed, string? Error)> SendAsync(
        HttpMessageInvoker invoker, string prefix, MirroredExchange exchange, MirrorEndpoints endpoints, int maxBodyBytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Parse(exchange.Method), prefix + exchange.PathAndQuery)
        {
            Version = endpoints.Version,
            VersionPolicy = endpoints.VersionPolicy,
        };
        if (exchange.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in exchange.Headers)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, values);
            }
        }

        request.Headers.Host = exchange.Host;
        request.Headers.TryAddWithoutValidation(MirrorHeader, "1");
        using var timeout = new CancellationTokenSource(endpoints.Timeout);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await invoker.SendAsync(request, timeout.Token);
            using var buffer = new CaptureBuffer(maxBodyBytes);
            var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
                int read;
                while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
                {
                    buffer.Append(chunk.AsSpan(0, read));
                    if (buffer.Overflowed)
                    {
                        break;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            var contentType = response.Content.Headers.ContentType?.ToString();
            var encoding = response.Content.Headers.ContentEncoding.Count == 0 ? null : string.Join(", ", response.Content.Headers.ContentEncoding);
            return (new MirrorAnswer((int)response.StatusCode, contentType, encoding, buffer.Overflowed ? ReadOnlyMemory<byte>.Empty : buffer.ToArray(), !buffer.Overflowed), elapsed, null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return (null, Stopwatch.GetElapsedTime(start), e is OperationCanceledException ? "timeout" : e.GetBaseException().Message);
        }
    }

    private void LogDropped(string reason)
    {
        // At most once a minute: a saturated mirror must not flood the log.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last == 0 || _time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1)) && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            LogCopyDropped(_logger, Cutover, reason, Results.Dropped);
        }
    }

    private sealed record Settings(MirrorConfig Config, JsonDiff Json);

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Cutover {Cutover}: mirror copy dropped ({Reason}); {Dropped} dropped so far")]
    private static partial void LogCopyDropped(ILogger logger, string cutover, string reason, long dropped);

    [LoggerMessage(EventId = 321, Level = LogLevel.Debug, Message = "Cutover {Cutover}: mirror copy {Method} {Path} got no answer from the target: {Detail}")]
    private static partial void LogTargetFailed(ILogger logger, string cutover, string method, string path, string detail);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "Cutover {Cutover}: mirror copy failed: {Detail}")]
    private static partial void LogCopyFailed(ILogger logger, string cutover, string detail);
}
