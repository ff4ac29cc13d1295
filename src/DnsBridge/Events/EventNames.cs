namespace DnsBridge.Events;

/// <summary>Event names of DESIGN.md: what is stored, delivered and shown.</summary>
internal static class EventNames
{
    public const string DnsSwitched = "dns_switched";
    public const string PropagationComplete = "propagation_complete";
    public const string DrainComplete = "drain_complete";
    public const string DrainRegressed = "drain_regressed";
    public const string TargetUnhealthy = "target_unhealthy";

    /// <summary>The old DNS provider's servers answer the source after the switch while old delegations may be cached.</summary>
    public const string PreviousNameServersStale = "previous_nameservers_stale";

    /// <summary>A cutover's phase changed (rehearsal, frozen, switched, rolled_back), asked by the CLI, the API or the DNS switch.</summary>
    public const string PhaseChanged = "phase_changed";

    /// <summary>Sent by <c>preflight --send-test-alert</c> only: checks a receiver, never raised by a cutover.</summary>
    public const string TestAlert = "test_alert";

    public static readonly IReadOnlyList<string> All = [DnsSwitched, PropagationComplete, DrainComplete, DrainRegressed, TargetUnhealthy, PreviousNameServersStale, PhaseChanged];
}
