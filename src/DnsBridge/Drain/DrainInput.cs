using DnsBridge.Propagation;

namespace DnsBridge.Drain;

/// <summary>
/// What the drain state machine looks at besides the status: the latest propagation snapshot, the residual total,
/// the residual arrivals in the quiet-entry window (null until a whole window has been watched) and, only for the
/// text of a regression, the top stale client (asked lazily: ranking clients is not free).
/// </summary>
internal readonly record struct DrainInput(PropagationSnapshot? Propagation, long ResidualTotal, long? ResidualInWindow, Func<string?>? TopClient = null);
