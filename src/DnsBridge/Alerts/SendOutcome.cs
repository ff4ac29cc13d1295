namespace DnsBridge.Alerts;

/// <summary>What one attempt to one receiver came to, whatever the channel.</summary>
internal enum SendVerdict
{
    Delivered,

    /// <summary>Worth asking again: the receiver was down, slow, rate-limited, or said something unknown.</summary>
    Retry,

    /// <summary>Will not fix itself by asking again (bad signature, token, address): failed at once.</summary>
    Rejected,
}

/// <summary>The verdict, what to show for it (never a secret), and the least wait the receiver asked for before a retry.</summary>
internal sealed record SendOutcome(SendVerdict Verdict, string? Problem = null, TimeSpan? RetryAfter = null)
{
    public static readonly SendOutcome Delivered = new(SendVerdict.Delivered);
}
