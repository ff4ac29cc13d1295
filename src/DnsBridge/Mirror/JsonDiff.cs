using System.Globalization;
using System.Text;
using System.Text.Json;
using DnsBridge.Configuration;

namespace DnsBridge.Mirror;

/// <summary>One field that differs between two JSON answers. <see cref="Field"/> has array indices as <c>[*]</c>.</summary>
internal sealed record FieldDifference(string Path, string Field, string Source, string Target);

/// <summary>
/// Structural comparison of two JSON documents: member order does not matter, numbers compare by value, arrays
/// element by element. A subtree is skipped when its path matches an ignore pattern (<c>Mirror.IgnoreJsonPaths</c>)
/// or its field is known noise. At most <see cref="MaxDifferences"/> are reported.
/// </summary>
internal sealed class JsonDiff
{
    public const int MaxDifferences = 32;
    private const int ValueExcerpt = 80;
    private const int MaxDepth = 64;

    private readonly string[][] _ignore;

    public JsonDiff(IReadOnlyList<string> ignorePaths)
    {
        var patterns = new List<string[]>(ignorePaths.Count);
        foreach (var path in ignorePaths)
        {
            if (JsonFieldPath.TryParse(path, out var segments, out _))
            {
                patterns.Add(segments);
            }
        }

        _ignore = [.. patterns];
    }

    public static JsonDiff None { get; } = new([]);

    /// <summary>Parses both bodies; null when either is not JSON (the caller compares bytes then).</summary>
    public List<FieldDifference>? Compare(ReadOnlyMemory<byte> source, ReadOnlyMemory<byte> target, IReadOnlySet<string>? noise = null)
    {
        JsonDocument? a = null;
        JsonDocument? b = null;
        try
        {
            var options = new JsonDocumentOptions { MaxDepth = MaxDepth };
            a = JsonDocument.Parse(source, options);
            b = JsonDocument.Parse(target, options);
        }
        catch (JsonException)
        {
            a?.Dispose();
            return null;
        }

        using (a)
        using (b)
        {
            var result = new List<FieldDifference>();
            var segments = new List<string>();
            Walk(a.RootElement, b.RootElement, segments, noise, result);
            return result;
        }
    }

    /// <summary>True when the content type says JSON (<c>application/json</c>, <c>application/problem+json</c>).</summary>
    public static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.Contains("/json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private void Walk(JsonElement a, JsonElement b, List<string> segments, IReadOnlySet<string>? noise, List<FieldDifference> result)
    {
        if (result.Count >= MaxDifferences)
        {
            return;
        }

        if (Ignored(segments))
        {
            return;
        }

        var field = Field(segments);
        if (noise is not null && noise.Contains(field))
        {
            return;
        }

        if (a.ValueKind != b.ValueKind && !(IsBool(a) && IsBool(b)))
        {
            Add(a, b, segments, field, result);
            return;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in a.EnumerateObject())
                {
                    segments.Add(member.Name);
                    if (b.TryGetProperty(member.Name, out var other))
                    {
                        Walk(member.Value, other, segments, noise, result);
                    }
                    else if (!Ignored(segments) && noise?.Contains(Field(segments)) != true && result.Count < MaxDifferences)
                    {
                        result.Add(new FieldDifference(Path(segments), Field(segments), Excerpt(member.Value), "(missing)"));
                    }

                    segments.RemoveAt(segments.Count - 1);
                }

                foreach (var member in b.EnumerateObject())
                {
                    if (!a.TryGetProperty(member.Name, out _))
                    {
                        segments.Add(member.Name);
                        if (!Ignored(segments) && noise?.Contains(Field(segments)) != true && result.Count < MaxDifferences)
                        {
                            result.Add(new FieldDifference(Path(segments), Field(segments), "(missing)", Excerpt(member.Value)));
                        }

                        segments.RemoveAt(segments.Count - 1);
                    }
                }

                break;
            case JsonValueKind.Array:
                var la = a.GetArrayLength();
                var lb = b.GetArrayLength();
                if (la != lb)
                {
                    result.Add(new FieldDifference(Path(segments), field, $"{la} elements", $"{lb} elements"));
                }

                var n = Math.Min(la, lb);
                for (var i = 0; i < n; i++)
                {
                    segments.Add(string.Create(CultureInfo.InvariantCulture, $"[{i}]"));
                    Walk(a[i], b[i], segments, noise, result);
                    segments.RemoveAt(segments.Count - 1);
                }

                break;
            case JsonValueKind.Number:
                if (a.GetRawText() != b.GetRawText()
                    && !(a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) && x == y)
                    && !(a.GetDouble().Equals(b.GetDouble())))
                {
                    Add(a, b, segments, field, result);
                }

                break;
            case JsonValueKind.String:
                if (!a.ValueEquals(b.GetString()))
                {
                    Add(a, b, segments, field, result);
                }

                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                if (a.GetBoolean() != b.GetBoolean())
                {
                    Add(a, b, segments, field, result);
                }

                break;
            default:
                break;
        }
    }

    private static bool IsBool(JsonElement e) => e.ValueKind is JsonValueKind.True or JsonValueKind.False;

    private static void Add(JsonElement a, JsonElement b, List<string> segments, string field, List<FieldDifference> result) =>
        result.Add(new FieldDifference(Path(segments), field, Excerpt(a), Excerpt(b)));

    private bool Ignored(List<string> segments)
    {
        foreach (var pattern in _ignore)
        {
            if (pattern.Length == segments.Count && Matches(pattern, segments))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(string[] pattern, List<string> segments)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            var p = pattern[i];
            var s = segments[i];
            var isIndex = s.StartsWith('[');
            if (p == JsonFieldPath.AnyElement ? !isIndex : p == JsonFieldPath.AnyMember ? isIndex : !string.Equals(p, s, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>$.items[3].id</c>.</summary>
    public static string Path(IReadOnlyList<string> segments) => Join(segments, generalise: false);

    /// <summary><c>$.items[*].id</c>: the field, whatever the element.</summary>
    public static string Field(IReadOnlyList<string> segments) => Join(segments, generalise: true);

    private static string Join(IReadOnlyList<string> segments, bool generalise)
    {
        var builder = new StringBuilder("$");
        foreach (var s in segments)
        {
            if (s.StartsWith('['))
            {
                builder.Append(generalise ? JsonFieldPath.AnyElement : s);
            }
            else
            {
                builder.Append('.').Append(s);
            }
        }

        return builder.ToString();
    }

    private static string Excerpt(JsonElement e)
    {
        var text = e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText();
        return text.Length <= ValueExcerpt ? text : string.Concat(text.AsSpan(0, ValueExcerpt), "…");
    }
}
