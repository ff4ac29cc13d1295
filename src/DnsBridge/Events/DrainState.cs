using System.Text.Json.Serialization;

namespace DnsBridge.Events;

/// <summary>DESIGN.md's drain states, in order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DrainState>))]
internal enum DrainState
{
    /// <summary>The authoritative servers still give the source.</summary>
    Pending,

    /// <summary>The authoritative answer switched; some resolvers not yet.</summary>
    Propagating,

    /// <summary>Every resolver switched; residual traffic still flowing.</summary>
    Draining,

    /// <summary>Residual traffic at or below the threshold since a time; waiting out the quiet period.</summary>
    Quiet,

    /// <summary>Quiet for the whole quiet period: decommissioning the source is safe.</summary>
    Drained,
}

internal static class DrainStates
{
    public static readonly IReadOnlyList<DrainState> All = [DrainState.Pending, DrainState.Propagating, DrainState.Draining, DrainState.Quiet, DrainState.Drained];

    public static string Label(this DrainState state) => state switch
    {
        DrainState.Pending => "pending",
        DrainState.Propagating => "propagating",
        DrainState.Draining => "draining",
        DrainState.Quiet => "quiet",
        _ => "drained",
    };

    /// <summary>States in which propagation is complete (residual clients may be nudged).</summary>
    public static bool PropagationComplete(this DrainState state) => state >= DrainState.Draining;
}
