namespace DnsBridge.Residual;

/// <summary>
/// The key a user agent is counted under. Kestrel lets a header run to <c>Limits:MaxRequestHeadersBytes</c>
/// (32 KiB), and the top-user-agents summary keeps up to 10,000 keys: raw, hostile traffic could pin about 640 MB
/// per cutover. Real agents (browsers, SDKs, bots) are 20 to 250 characters, so keys are capped at
/// <see cref="MaxLength"/>: a longer agent keeps its first characters plus a hash of the whole, so two long agents
/// that share a prefix are still counted apart, and the same agent always gets the same key.
/// </summary>
internal static class UserAgentKey
{
    /// <summary>256 characters: room for any real user agent, about 0.5 KB per key (5 MB for a full summary).</summary>
    public const int MaxLength = 256;

    /// <summary>Between the kept prefix and the hash, so a reader sees that the agent was cut.</summary>
    public const string Marker = "...#";

    private const int HashDigits = 16;
    private const int PrefixLength = MaxLength - 4 - HashDigits; // 4: Marker.Length

    /// <summary>The agent itself when short enough; otherwise its first characters, <see cref="Marker"/> and 16 hex digits.</summary>
    public static string Of(string userAgent) =>
        userAgent.Length <= MaxLength ? userAgent : string.Create(MaxLength, userAgent, static (span, agent) =>
        {
            agent.AsSpan(0, PrefixLength).CopyTo(span);
            Marker.CopyTo(span[PrefixLength..]);
            KeyHash.Of(agent).TryFormat(span[(PrefixLength + Marker.Length)..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
}
