using System.Text.Json.Serialization;

namespace DnsBridge.Drain;

/// <summary>DESIGN.md's drain states, in order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DrainState>))]
public enum DrainState
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

public static class DrainStates
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

/// <summary>What is persisted of a cutover's drain: the state, since when, and the clocks and baselines that drive it.</summary>
public sealed record DrainStatus
{
    public DrainState State { get; init; } = DrainState.Pending;
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset? DnsSwitchedAt { get; init; }
    public DateTimeOffset? PropagationCompleteAt { get; init; }

    /// <summary>When the last stale cache must have expired (from the TTLs seen while propagating).</summary>
    public DateTimeOffset? StaleUntil { get; init; }

    public DateTimeOffset? QuietSince { get; init; }

    /// <summary>Residual total when the current quiet period (or drained) began: traffic beyond it counts against the threshold.</summary>
    public long Baseline { get; init; }

    public DateTimeOffset? DrainedAt { get; init; }

    /// <summary>Residual requests counted over the cutover's life (survives restarts).</summary>
    public long ResidualTotal { get; init; }

    public DateTimeOffset? LastResidualAt { get; init; }
}

/// <summary>Event names of DESIGN.md.</summary>
public static class DrainEvents
{
    public const string DnsSwitched = "dns_switched";
    public const string PropagationComplete = "propagation_complete";
    public const string DrainComplete = "drain_complete";
    public const string DrainRegressed = "drain_regressed";
    public const string TargetUnhealthy = "target_unhealthy";

    /// <summary>Sent by <c>preflight --send-test-alert</c> only: checks a receiver, never raised by a cutover.</summary>
    public const string TestAlert = "test_alert";

    public static readonly IReadOnlyList<string> All = [DnsSwitched, PropagationComplete, DrainComplete, DrainRegressed, TargetUnhealthy];
}

/// <summary>One event of a cutover's timeline, as stored and as delivered to webhooks.</summary>
public sealed record DrainEvent(string Id, string Cutover, string Event, DateTimeOffset At, string Text);
