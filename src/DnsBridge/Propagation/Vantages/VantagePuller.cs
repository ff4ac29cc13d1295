using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation.Vantages;

/// <summary>
/// Pulls every configured remote vantage's <c>GET /api/cutovers</c> once per poll (bearer token, TLS validated with
/// <c>Propagation:CaFile</c> added to the system roots) and keeps what each last said. Only the remote's own rows
/// (<c>vantage: local</c> there, recursive resolvers) are taken: rows it pulled from vantages of its own are never
/// passed on, so two instances that are each other's vantage do not echo rows back and forth. The token is sent and
/// never logged: errors name the vantage and its URL only. The answer is another host's: it is read against a size
/// cap and every value checked (<see cref="VantageDocument"/>), so whatever it holds ends as that vantage's error row.
/// </summary>
internal sealed partial class VantagePuller(TimeProvider time, ILogger logger) : IDisposable
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(10);

    // A wave of 500 cutovers with every resolver and client subnet is a few MiB; a remote streaming more is not read on.
    private const int MaxAnswerBytes = 32 * 1024 * 1024;
    private readonly ConcurrentDictionary<string, VantageState> _states = new(StringComparer.Ordinal);
    private (string? CaFile, HttpClient Client)? _client;

    /// <summary>Pulls every vantage at once and returns each one's state (the names left in the config only).</summary>
    public async Task<IReadOnlyList<VantageState>> PullAsync(PropagationConfig config, CancellationToken cancellationToken)
    {
        if (config.Vantages.Count == 0)
        {
            _states.Clear();
            return [];
        }

        foreach (var gone in _states.Keys.Where(k => config.Vantages.All(v => v.Name != k)).ToList())
        {
            _states.TryRemove(gone, out _);
        }

        var client = Client(config.CaFile);
        var timeout = config.Interval < MaxTimeout ? config.Interval : MaxTimeout;
        return await Task.WhenAll(config.Vantages.Select(v => PullOneAsync(client, v, timeout, cancellationToken)));
    }

    private async Task<VantageState> PullOneAsync(HttpClient client, VantageConfig vantage, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var previous = _states.TryGetValue(vantage.Name, out var known) && known.Url == vantage.Url ? known : VantageState.Empty(vantage.Name, vantage.Url);
        string? error;
        var next = previous;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, vantage.Url.TrimEnd('/') + "/api/cutovers");
            if (vantage.Token is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cancel.CancelAfter(timeout);

            // Headers only: the body is read against the cap below, not buffered whole (up to 2 GiB) first.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            error = response.StatusCode switch
            {
                HttpStatusCode.OK => null,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"{(int)response.StatusCode} {response.ReasonPhrase}: the token is missing or does not match the remote's Listen:AdminToken",
                _ => $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} from the remote admin API",
            };
            if (error is null)
            {
                var body = await ReadCappedAsync(response.Content, cancel.Token);
                if (body is null)
                {
                    error = $"answer larger than {MaxAnswerBytes / (1024 * 1024)} MiB: not read further";
                }
                else
                {
                    using var document = JsonDocument.Parse(body);
                    next = previous with { Cutovers = VantageDocument.Read(document.RootElement, previous, time.GetUtcNow()), Error = null };
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"unreachable: no answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        catch (HttpRequestException e)
        {
            error = $"unreachable: {e.InnerException?.Message ?? e.Message}";
        }
        catch (IOException e)
        {
            error = $"answer cut off: {e.Message}";
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            error = $"not a usable DnsBridge admin API answer: {e.Message}";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else another host's answer can provoke is that vantage's error, never the monitor's end.
            error = $"not a usable DnsBridge admin API answer ({e.GetType().Name})";
        }

        if (error is not null)
        {
            next = previous with { Error = error };
            if (previous.Error != error)
            {
                LogVantageFailed(logger, vantage.Name, vantage.Url, error);
            }
        }
        else if (previous.Error is not null)
        {
            LogVantageBack(logger, vantage.Name, vantage.Url);
        }

        _states[vantage.Name] = next;
        return next;
    }

    /// <summary>The answer's bytes, or null when it is longer than <see cref="MaxAnswerBytes"/> (read no further than one byte past it).</summary>
    private static async Task<byte[]?> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxAnswerBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, MaxAnswerBytes + 1 - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxAnswerBytes)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }

    private HttpClient Client(string? caFile)
    {
        if (_client is { } known && known.CaFile == caFile)
        {
            return known.Client;
        }

        _client?.Client.Dispose();
        var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = CaFileTrust.Validator(caFile), CertificateRevocationCheckMode = CaFileTrust.RevocationMode }, UseProxy = false, AllowAutoRedirect = false };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client = (caFile, client);
        return client;
    }

    public void Dispose() => _client?.Client.Dispose();

    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Remote vantage {Vantage} ({Url}): {Error}; its row is an error and holds propagation complete")]
    private static partial void LogVantageFailed(ILogger logger, string vantage, string url, string error);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Remote vantage {Vantage} ({Url}) answers again")]
    private static partial void LogVantageBack(ILogger logger, string vantage, string url);
}
