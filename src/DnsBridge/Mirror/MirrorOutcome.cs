namespace DnsBridge.Mirror;

/// <summary>How one copy ended: the <c>outcome</c> label of <c>dnsbridge_mirror_requests_total</c>.</summary>
internal enum MirrorOutcome
{
    Match,
    StatusMismatch,
    BodyMismatch,
    TargetError,
    Dropped,
}

internal static class MirrorOutcomes
{
    public static readonly IReadOnlyList<string> Labels = ["match", "status_mismatch", "body_mismatch", "target_error", "dropped"];

    public static string Label(this MirrorOutcome outcome) => Labels[(int)outcome];
}

/// <summary>
/// One compared copy, as the results keep it. <see cref="Fields"/> are the JSON fields (or <c>(body)</c>,
/// <c>(content-type)</c>) that differed, noise known at the time already left out.
/// </summary>
internal sealed record CopyResult(
    string Group,
    MirrorOutcome Outcome,
    int SourceStatus,
    int? TargetStatus,
    bool BodyCompared,
    IReadOnlyList<string> Fields,
    TimeSpan SourceLatency,
    TimeSpan? TargetLatency,
    MirrorSample? Sample);

/// <summary>A redacted example of a difference: no cookie, credential or query value.</summary>
internal sealed record MirrorSample(
    DateTimeOffset At,
    string Kind,
    string Method,
    string Path,
    int SourceStatus,
    int? TargetStatus,
    string? SourceContentType,
    string? TargetContentType,
    IReadOnlyList<FieldDifference> Differences,
    string? Error,
    IReadOnlyList<KeyValuePair<string, string>> RequestHeaders);
