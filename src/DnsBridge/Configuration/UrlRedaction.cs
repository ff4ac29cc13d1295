namespace DnsBridge.Configuration;

/// <summary>
/// A URL (or what was meant as one) as an error message may echo it: its user info, query and fragment replaced by
/// <c>***</c>, whether or not the rest parses. A proxy's or a vantage's password, a DoH provider's key ride there, and
/// these messages reach the terminal, the log (an invalid reload) and CI output. Webhook URLs, whose path may be the
/// secret too, are shown by <see cref="WebhookDisplay"/> instead.
/// </summary>
internal static class UrlRedaction
{
    private const string Hidden = "***";

    public static string Of(string? url)
    {
        var text = url ?? "";
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? 0 : scheme + 3;
        var end = text.IndexOfAny(['/', '?', '#'], start) is var stop and >= 0 ? stop : text.Length;
        var at = end > start ? text.LastIndexOf('@', end - 1, end - start) : -1;
        var authority = at < 0 ? text[start..end] : $"{Hidden}@{text[(at + 1)..end]}";
        var rest = text[end..];
        var query = rest.IndexOfAny(['?', '#']);
        return text[..start] + authority + (query < 0 ? rest : rest[..(query + 1)] + Hidden);
    }
}
