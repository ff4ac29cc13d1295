namespace DnsBridge.Mirror;

/// <summary>
/// What the switch gate (<c>Switch.Require</c>) reads about a cutover's mirrored comparison: totals and one row per
/// path group. Read on a request or CLI path: must be quick (in-memory figures), must not throw, must not block.
/// </summary>
internal interface IMirrorReadiness
{
    MirrorReadiness Readiness(string cutover);
}

/// <summary>
/// A cutover's mirrored comparison so far. <paramref name="Mirrored"/> counts copies compared (answered by both
/// sides or counted as a target error); <paramref name="StatusMatches"/> those whose status codes matched;
/// <paramref name="LatencyRatioP99"/> is target p99 / source p99 over all copies (null before any).
/// </summary>
internal sealed record MirrorReadiness(long Mirrored, long StatusMatches, double? LatencyRatioP99, IReadOnlyList<PathGroupReadiness> PathGroups)
{
    /// <summary>Nothing mirrored (yet): what a cutover without mirroring reports.</summary>
    public static MirrorReadiness None { get; } = new(0, 0, null, []);

    /// <summary>Share of copies whose status matched (null before any copy).</summary>
    public double? StatusMatchRatio => Mirrored == 0 ? null : (double)StatusMatches / Mirrored;
}

/// <summary>
/// One path group (numbers, UUIDs and long hex in the path replaced by <c>{id}</c>). Latencies are p99 per side,
/// null before any sample.
/// </summary>
internal sealed record PathGroupReadiness(
    string PathGroup,
    long Copies,
    long StatusMatches,
    long BodyMatches,
    long TargetErrors,
    TimeSpan? SourceP99,
    TimeSpan? TargetP99)
{
    public double? StatusMatchRatio => Copies == 0 ? null : (double)StatusMatches / Copies;

    public double? LatencyRatioP99 => SourceP99 is { } s && TargetP99 is { } t && s > TimeSpan.Zero ? t / s : null;
}

/// <summary>Reports nothing mirrored: the registration until mirroring exists, so a configured gate refuses truthfully.</summary>
internal sealed class NoMirrorReadiness : IMirrorReadiness
{
    public MirrorReadiness Readiness(string cutover) => MirrorReadiness.None;
}
