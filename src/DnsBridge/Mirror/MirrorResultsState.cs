using System.Text.Json;
using System.Text.Json.Serialization;

namespace DnsBridge.Mirror;

/// <summary>
/// A cutover's mirror results as one replica stores them (<see cref="MirrorResults.Export"/>): every count, sketch,
/// table and sample, so that adding the states of every replica (<see cref="MirrorResults.Add"/>) gives the figures
/// the cluster would have counted in one process, and a restarted replica continues from its own. Outcomes are keyed
/// by their metric label, latency sketches by bucket index: a later release that adds either still reads this.
/// </summary>
internal sealed record MirrorResultsState(
    long Copies,
    long StatusMatches,
    long NoiseSamples,
    long Evictions,
    long EvictedBodyMismatches,
    IReadOnlyDictionary<string, long> Outcomes,
    IReadOnlyDictionary<int, long> Source,
    IReadOnlyDictionary<int, long> Target,
    IReadOnlyList<MirrorGroupState> Groups)
{
    public string ToJson() => JsonSerializer.Serialize(this, MirrorJsonContext.Default.MirrorResultsState);

    /// <summary>The state in <paramref name="json"/>, or null when it is not one (a damaged row is skipped, not fatal).</summary>
    public static MirrorResultsState? FromJson(string json)
    {
        try
        {
            var state = JsonSerializer.Deserialize(json, MirrorJsonContext.Default.MirrorResultsState);
            return state is { Outcomes: not null, Source: not null, Target: not null, Groups: not null } && state.Groups.All(IsWhole) ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A document missing a collection (damaged, or cut short) would throw where it is added up: skipped instead.
    private static bool IsWhole(MirrorGroupState? group) => group is
    {
        Name: not null, Fields: not null, Signatures: not null, StatusPairs: not null, Noise: not null, Samples: not null, Source: not null, Target: not null,
    } && group.Signatures.All(s => s?.Fields is not null) && group.Samples.All(s => s is not null) && group.StatusPairs.All(p => p is not null);
}

/// <summary>One path group's part of <see cref="MirrorResultsState"/>.</summary>
internal sealed record MirrorGroupState(
    string Name,
    long Error,
    long Copies,
    long StatusMatches,
    long BodiesCompared,
    long BodyExactMatches,
    long BodiesNotCompared,
    long OverflowMismatches,
    long TargetErrors,
    long NoiseSamples,
    IReadOnlyDictionary<string, long> Fields,
    IReadOnlyList<MirrorSignatureState> Signatures,
    IReadOnlyList<MirrorStatusPair> StatusPairs,
    IReadOnlyList<string> Noise,
    IReadOnlyList<MirrorSample> Samples,
    IReadOnlyDictionary<int, long> Source,
    IReadOnlyDictionary<int, long> Target);

/// <summary>A set of fields that differed together, and in how many copies.</summary>
internal sealed record MirrorSignatureState(IReadOnlyList<string> Fields, long Copies);

/// <summary>Source-generated metadata for the stored mirror results (the shipped build is Native AOT).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MirrorResultsState))]
internal sealed partial class MirrorJsonContext : JsonSerializerContext;
