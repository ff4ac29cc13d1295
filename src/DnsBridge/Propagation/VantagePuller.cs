using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation;

/// <summary>
/// Pulls every configured remote vantage's <c>GET /api/cutovers</c> once per poll (bearer token, TLS validated with
/// <c>Propagation:CaFile</c> added to the system roots) and keeps what each last said. Only the remote's own rows
/// (<c>vantage: local</c> there, recursive resolvers) are taken: rows it pulled from vantages of its own are never
/// passed on, so two instances that are each other's vantage do not echo rows back and forth. The token is sent and
/// never logged: errors name the vantage and its URL only.
/// </summary>
public sealed partial class VantagePuller(TimeProvider time, ILogger logger) : IDisposable
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(10);
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
            using var response = await client.SendAsync(request, cancel.Token);
            error = response.StatusCode switch
            {
                HttpStatusCode.OK => null,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"{(int)response.StatusCode} {response.ReasonPhrase}: the token is missing or does not match the remote's Listen:AdminToken",
                _ => $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} from the remote admin API",
            };
            if (error is null)
            {
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancel.Token), default, cancel.Token);
                next = previous with { Cutovers = Read(document.RootElement, previous, time.GetUtcNow()), Error = null };
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
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            error = $"not a DnsBridge admin API answer: {e.Message}";
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

    /// <summary>The remote's own recursive rows per cutover; <c>FreshAt</c> moves only when its snapshot time did.</summary>
    private static Dictionary<string, VantageCutover> Read(JsonElement cutovers, VantageState previous, DateTimeOffset now)
    {
        var result = new Dictionary<string, VantageCutover>(StringComparer.Ordinal);
        foreach (var cutover in cutovers.EnumerateArray())
        {
            var name = cutover.GetProperty("name").GetString()!;
            if (!cutover.TryGetProperty("propagation", out var propagation) || propagation.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var at = propagation.GetProperty("at").GetDateTimeOffset();
            var rows = propagation.GetProperty("resolvers").EnumerateArray()
                .Where(r => r.GetProperty("vantage").GetString() == ResolverInfo.LocalVantage && !r.GetProperty("authoritative").GetBoolean())
                .Select(Row)
                .ToList();
            var freshAt = previous.Cutovers.TryGetValue(name, out var last) && last.RemoteAt == at ? last.FreshAt : now;
            result[name] = new VantageCutover(at, freshAt, rows);
        }

        return result;
    }

    private static ResolverResult Row(JsonElement r)
    {
        var name = r.GetProperty("name").GetString()!;
        var address = r.GetProperty("resolver").GetString() ?? "";
        var region = r.GetProperty("region").GetString() ?? "";
        var @operator = r.GetProperty("operator").GetString() ?? "";
        var resolver = ResolverAddress.TryParse(address, null, out var via, out _) && via.EndPoint is not null
            ? ResolverInfo.Reached(name, via, region, @operator)
            : new ResolverInfo(name, new IPEndPoint(IPAddress.None, 0), region, @operator, Authoritative: false);
        return new ResolverResult(
            resolver,
            Answer(r.GetProperty("answer").GetString()),
            Strings(r, "addresses"),
            Strings(r, "cnames"),
            r.GetProperty("ttl").ValueKind == JsonValueKind.Number ? r.GetProperty("ttl").GetInt32() : null,
            r.GetProperty("error").GetString(),
            r.GetProperty("detail").GetString(),
            r.GetProperty("checkedAt").GetDateTimeOffset(),
            TimeSpan.FromMilliseconds(r.GetProperty("latencyMs").GetDouble()))
        {
            Pop = r.TryGetProperty("pop", out var pop) ? pop.GetString() : null,
        };
    }

    private static IReadOnlyList<string> Strings(JsonElement row, string property) => [.. row.GetProperty(property).EnumerateArray().Select(e => e.GetString() ?? "")];

    private static ResolverAnswer Answer(string? label) => label switch
    {
        "target" => ResolverAnswer.Target,
        "source" => ResolverAnswer.Source,
        "mixed" => ResolverAnswer.Mixed,
        "other" => ResolverAnswer.Other,
        _ => ResolverAnswer.Error,
    };

    private HttpClient Client(string? caFile)
    {
        if (_client is { } known && known.CaFile == caFile)
        {
            return known.Client;
        }

        _client?.Client.Dispose();
        var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = CaFileTrust.Validator(caFile) }, UseProxy = false, AllowAutoRedirect = false };
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
