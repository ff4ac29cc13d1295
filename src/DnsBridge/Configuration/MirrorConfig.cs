namespace DnsBridge.Configuration;

/// <summary>
/// <c>Cutovers[].Mirror</c>: during <c>rehearsal</c>, a share of the requests answered by the source is copied to the
/// target and the two answers are compared. Off (<see cref="Share"/> 0) by default. Compared by value on reload.
/// </summary>
internal sealed record MirrorConfig
{
    public const int MaxAmplify = 10;

    /// <summary>Share of eligible requests copied, 0-1; 0 turns mirroring off.</summary>
    public double Share { get; init; }

    /// <summary>Methods copied (upper case). Anything else must be listed explicitly: a mirrored write changes the target's data.</summary>
    public IReadOnlyList<string> Methods { get; init; } = ["GET", "HEAD", "OPTIONS"];

    /// <summary>Request and response bodies kept for the copy and the comparison; larger ones are mirrored without body comparison.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Copies in flight at most (per cutover); beyond it a copy is dropped and counted.</summary>
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>Copies sent per mirrored request (1-10): GoReplay's "200%" for pressure tests.</summary>
    public int Amplify { get; init; } = 1;

    /// <summary>JSON fields never compared (<c>$.meta.requestId</c>, <c>$.items[*].etag</c>).</summary>
    public IReadOnlyList<string> IgnoreJsonPaths { get; init; } = [];

    /// <summary>Share of copies also re-sent to the source, to learn the fields that differ between two source answers.</summary>
    public double NoiseShare { get; init; } = 0.01;

    public bool Enabled => Share > 0;

    public bool Equals(MirrorConfig? other) =>
        other is not null && Share.Equals(other.Share) && Methods.SequenceEqual(other.Methods) && MaxBodyBytes == other.MaxBodyBytes
        && MaxConcurrency == other.MaxConcurrency && Amplify == other.Amplify && IgnoreJsonPaths.SequenceEqual(other.IgnoreJsonPaths)
        && NoiseShare.Equals(other.NoiseShare);

    public override int GetHashCode() => HashCode.Combine(Share, Methods.Count, MaxBodyBytes, MaxConcurrency, Amplify, IgnoreJsonPaths.Count, NoiseShare);
}
