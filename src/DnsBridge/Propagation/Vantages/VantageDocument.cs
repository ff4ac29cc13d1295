using System.Globalization;
using System.Net;
using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation.Vantages;

/// <summary>
/// A remote vantage's <c>GET /api/cutovers</c> answer read into its own recursive rows, every value checked before it
/// is used: the remote is another host, and a value out of range (a latency of 1e300 ms, a TTL past 2^31, a date past
/// year 9999) must make that vantage an error row saying what was wrong, never an exception that stops the monitor.
/// A value that is wrong anywhere makes the whole answer unusable: a remote that sends one impossible value is not
/// trusted for the others.
/// </summary>
internal static class VantageDocument
{
    // A resolver row's latency is bounded by the remote's own timeout (under its interval); a day is far past any of those.
    private const double MaxLatencyMs = 86_400_000;

    /// <summary>The remote's own recursive rows per cutover; <c>FreshAt</c> moves only when its snapshot time did.</summary>
    /// <exception cref="FormatException">A value is missing, of the wrong kind or out of range; the message says which.</exception>
    public static Dictionary<string, VantageCutover> Read(JsonElement cutovers, VantageState previous, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var result = new Dictionary<string, VantageCutover>(StringComparer.Ordinal);
        Expect(cutovers, JsonValueKind.Array, "the document");
        var i = 0;
        foreach (var cutover in cutovers.EnumerateArray())
        {
            var at = $"cutovers[{i++}]";
            Expect(cutover, JsonValueKind.Object, at);
            var name = String(cutover, "name", at) is { Length: > 0 } n ? n : throw Bad($"{at}.name", "is empty");
            if (!cutover.TryGetProperty("propagation", out var propagation) || propagation.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var remoteAt = Time(propagation, "at", $"{at}.propagation");
            var resolvers = Property(propagation, "resolvers", $"{at}.propagation");
            Expect(resolvers, JsonValueKind.Array, $"{at}.propagation.resolvers");
            var rows = new List<ResolverResult>();
            var j = 0;
            foreach (var r in resolvers.EnumerateArray())
            {
                var rowAt = $"{at}.propagation.resolvers[{j++}]";
                Expect(r, JsonValueKind.Object, rowAt);
                if (String(r, "vantage", rowAt) == ResolverInfo.LocalVantage && !Boolean(r, "authoritative", rowAt))
                {
                    rows.Add(Row(r, rowAt));
                }
            }

            var freshAt = previous.Cutovers.TryGetValue(name, out var last) && last.RemoteAt == remoteAt ? last.FreshAt : now;
            result[name] = new VantageCutover(remoteAt, freshAt, rows);
        }

        return result;
    }

    private static ResolverResult Row(JsonElement r, string at)
    {
        var name = String(r, "name", at) ?? throw Bad($"{at}.name", "is null");
        var address = String(r, "resolver", at) ?? "";
        var region = String(r, "region", at) ?? "";
        var @operator = String(r, "operator", at) ?? "";
        var resolver = ResolverAddress.TryParse(address, null, out var via, out _) && via.EndPoint is not null
            ? ResolverInfo.Reached(name, via, region, @operator)
            : new ResolverInfo(name, new IPEndPoint(IPAddress.None, 0), region, @operator, Authoritative: false);
        var ttl = Property(r, "ttl", at);
        var latency = Property(r, "latencyMs", at);
        if (latency.ValueKind != JsonValueKind.Number || !latency.TryGetDouble(out var ms) || !double.IsFinite(ms) || ms is < 0 or > MaxLatencyMs)
        {
            throw Bad($"{at}.latencyMs", $"must be 0-{MaxLatencyMs.ToString(CultureInfo.InvariantCulture)} ms, got {Shown(latency)}");
        }

        return new ResolverResult(
            resolver,
            Answer(String(r, "answer", at)),
            Strings(r, "addresses", at),
            Strings(r, "cnames", at),
            ttl.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.Number when ttl.TryGetInt32(out var seconds) && seconds >= 0 => seconds,
                _ => throw Bad($"{at}.ttl", $"must be null or 0-{int.MaxValue} s, got {Shown(ttl)}"),
            },
            String(r, "error", at),
            String(r, "detail", at),
            Time(r, "checkedAt", at),
            TimeSpan.FromMilliseconds(ms))
        {
            Pop = r.TryGetProperty("pop", out _) ? String(r, "pop", at) : null,
        };
    }

    private static IReadOnlyList<string> Strings(JsonElement row, string property, string at)
    {
        var list = Property(row, property, at);
        Expect(list, JsonValueKind.Array, $"{at}.{property}");
        return [.. list.EnumerateArray().Select((e, k) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad($"{at}.{property}[{k}]", $"must be a string, got {Shown(e)}"))];
    }

    private static ResolverAnswer Answer(string? label) => label switch
    {
        "target" => ResolverAnswer.Target,
        "source" => ResolverAnswer.Source,
        "mixed" => ResolverAnswer.Mixed,
        "other" => ResolverAnswer.Other,
        _ => ResolverAnswer.Error,
    };

    private static JsonElement Property(JsonElement parent, string name, string at) =>
        parent.TryGetProperty(name, out var value) ? value : throw Bad($"{at}.{name}", "is missing");

    private static string? String(JsonElement parent, string name, string at)
    {
        var value = Property(parent, name, at);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => null,
            _ => throw Bad($"{at}.{name}", $"must be a string, got {Shown(value)}"),
        };
    }

    private static bool Boolean(JsonElement parent, string name, string at)
    {
        var value = Property(parent, name, at);
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Bad($"{at}.{name}", $"must be true or false, got {Shown(value)}");
    }

    private static DateTimeOffset Time(JsonElement parent, string name, string at)
    {
        var value = Property(parent, name, at);
        return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : throw Bad($"{at}.{name}", $"must be an ISO 8601 time, got {Shown(value)}");
    }

    private static void Expect(JsonElement value, JsonValueKind kind, string at)
    {
        if (value.ValueKind != kind)
        {
            throw Bad(at, $"must be {(kind == JsonValueKind.Array ? "an array" : "an object")}, got {Shown(value)}");
        }
    }

    // Enough of a bad value to recognise it, never a remote's whole (possibly huge) text in a log line.
    private static string Shown(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }

    private static FormatException Bad(string at, string what) => new($"{at} {what}");
}
