namespace DnsBridge.Events;

/// <summary>What is persisted of a cutover's drain: the state, since when, and the clocks and baselines that drive it.</summary>
internal sealed record DrainStatus
{
    public DrainState State { get; init; } = DrainState.Pending;
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset? DnsSwitchedAt { get; init; }
    public DateTimeOffset? PropagationCompleteAt { get; init; }

    /// <summary>When the last stale cache must have expired (from the TTLs seen while propagating).</summary>
    public DateTimeOffset? StaleUntil { get; init; }

    public DateTimeOffset? QuietSince { get; init; }

    /// <summary>When the previous name servers were first seen answering the source after the switch (raised once).</summary>
    public DateTimeOffset? PreviousNameServersStaleAt { get; init; }

    /// <summary>Residual total when the current quiet period (or drained) began: traffic beyond it counts against the threshold.</summary>
    public long Baseline { get; init; }

    public DateTimeOffset? DrainedAt { get; init; }

    /// <summary>Residual requests counted over the cutover's life (survives restarts).</summary>
    public long ResidualTotal { get; init; }

    public DateTimeOffset? LastResidualAt { get; init; }
}
