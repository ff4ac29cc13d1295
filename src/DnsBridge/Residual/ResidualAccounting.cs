using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using DnsBridge.Configuration;

namespace DnsBridge.Residual;

/// <summary>The residual counters of every cutover, by name: the request path writes them, the drain detector reads them.</summary>
internal sealed class ResidualAccounting(ResidualMetrics metrics, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResidualCounter> _counters = new(StringComparer.Ordinal);

    public ResidualCounter For(CutoverConfig cutover)
    {
        var rules = new ExclusionRules(cutover.Drain.Exclude);
        var counter = _counters.GetOrAdd(cutover.Name, name => new ResidualCounter(name, rules, metrics, time));
        counter.UpdateRules(rules);
        return counter;
    }

    /// <summary>Every counter made since start, configured or not any more (its counts still belong in the history).</summary>
    public ICollection<ResidualCounter> Counters => _counters.Values;

    public bool TryGet(string cutover, [NotNullWhen(true)] out ResidualCounter? counter) => _counters.TryGetValue(cutover, out counter);
}
