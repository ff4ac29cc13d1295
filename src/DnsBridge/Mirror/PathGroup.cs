namespace DnsBridge.Mirror;

/// <summary>
/// The group a request path is compared in: segments that are identifiers (numbers, UUIDs, long hex) become
/// <c>{id}</c>, so <c>/orders/1234</c> and <c>/orders/98</c> are one group. The query is never part of it.
/// </summary>
internal static class PathGroup
{
    public const string Id = "{id}";

    /// <summary>A group is at most this long (the path is cut there): keys stay bounded whatever clients send.</summary>
    public const int MaxLength = 200;

    private const int LongHex = 16;

    public static string Of(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "/")
        {
            return "/";
        }

        var span = path.AsSpan();
        var question = span.IndexOf('?');
        if (question >= 0)
        {
            span = span[..question];
        }

        var builder = new System.Text.StringBuilder(Math.Min(span.Length, MaxLength) + 8);
        foreach (var range in span.Split('/'))
        {
            var segment = span[range];
            if (range.Start.Value == 0 && segment.IsEmpty)
            {
                continue;
            }

            builder.Append('/');
            if (IsIdentifier(segment))
            {
                builder.Append(Id);
            }
            else
            {
                builder.Append(segment);
            }

            if (builder.Length >= MaxLength)
            {
                builder.Length = MaxLength;
                break;
            }
        }

        return builder.Length == 0 ? "/" : builder.ToString();
    }

    /// <summary>All digits, a UUID (with or without dashes or braces) or at least 16 hex digits.</summary>
    public static bool IsIdentifier(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty)
        {
            return false;
        }

        if (segment.ContainsAnyExceptInRange('0', '9'))
        {
            if (segment.Length >= 2 && segment[0] == '{' && segment[^1] == '}')
            {
                segment = segment[1..^1];
            }

            return Guid.TryParseExact(segment, "D", out _) || Guid.TryParseExact(segment, "N", out _) || (segment.Length >= LongHex && IsHex(segment));
        }

        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
