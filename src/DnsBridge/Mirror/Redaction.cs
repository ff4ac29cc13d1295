namespace DnsBridge.Mirror;

/// <summary>What a sample may show of a request: never a credential, a cookie or a query value.</summary>
internal static class Redaction
{
    public const string Redacted = "[redacted]";

    private static readonly HashSet<string> Secret = new(StringComparer.OrdinalIgnoreCase)
    {
        "Cookie", "Set-Cookie", "Authorization", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token", "X-DnsBridge-Admin-Token",
    };

    public static bool IsSecret(string header) => Secret.Contains(header);

    public static string Header(string name, string value) => IsSecret(name) ? Redacted : Cap(value, 200);

    /// <summary>The path with every query value replaced: <c>/search?q=…&amp;page=…</c>.</summary>
    public static string PathAndQuery(string path, string? query)
    {
        var capped = Cap(path, 300);
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return capped;
        }

        var parts = query.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            parts[i] = eq < 0 ? Cap(parts[i], 60) : string.Concat(Cap(parts[i][..eq], 60), "=…");
        }

        return string.Concat(capped, "?", Cap(string.Join('&', parts), 300));
    }

    private static string Cap(string value, int max) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
}
