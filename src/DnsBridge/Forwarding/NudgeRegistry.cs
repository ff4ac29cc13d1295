using DnsBridge.Drain;
using DnsBridge.Events;
using Prometheus;

namespace DnsBridge.Forwarding;

/// <summary>The nudge switches of every cutover, by name; they outlive configuration reloads.</summary>
internal sealed class NudgeRegistry(IMetricFactory factory, TimeProvider time) : IDrainObserver
{
    private readonly Counter _counter = factory.CreateCounter("dnsbridge_nudged_connections_total",
        "Client connections told to reconnect (and so re-resolve DNS) once propagation is complete, by cutover and kind.", ["cutover", "kind"]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, NudgeSwitch> _switches = new(StringComparer.Ordinal);

    public NudgeSwitch For(string cutover) => _switches.GetOrAdd(cutover, name => new NudgeSwitch(name, _counter, time));

    /// <summary>Nudging starts once propagation is complete (draining, quiet, drained) and stops if it is not any more.</summary>
    public void OnDrainState(string cutover, DrainState state) => For(cutover).PropagationComplete = state.PropagationComplete();
}
