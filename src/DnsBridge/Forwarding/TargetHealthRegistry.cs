using System.Collections.Concurrent;

namespace DnsBridge.Forwarding;

/// <summary>Target health counters by cutover name; they outlive configuration reloads.</summary>
internal sealed class TargetHealthRegistry
{
    private readonly ConcurrentDictionary<string, TargetHealth> _health = new(StringComparer.Ordinal);

    public TargetHealth For(string cutover) => _health.GetOrAdd(cutover, static _ => new TargetHealth());
}
