using System.Collections.Concurrent;
using DnsBridge.Configuration;

namespace DnsBridge.Mirror;

/// <summary>
/// One <see cref="MirrorEngine"/> per cutover, kept across reloads (a reload changes its settings, never its
/// results). The request path reaches an engine only for a cutover whose <c>Mirror.Share</c> is above 0.
/// </summary>
internal sealed class MirrorRegistry : IMirrorReadiness
{
    private readonly ConcurrentDictionary<string, MirrorEngine> _engines = new(StringComparer.Ordinal);
    private readonly MirrorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    public MirrorRegistry(ConfigMonitor config, MirrorMetrics metrics, TimeProvider time, ILoggerFactory loggers)
    {
        _metrics = metrics;
        _time = time;
        _loggers = loggers;
        Apply(config.Current);
        config.Changed += (_, next) => Apply(next);
    }

    private void Apply(DnsBridgeConfig config)
    {
        foreach (var cutover in config.Cutovers.Where(c => !c.Target.IsConnectionOnly))
        {
            For(cutover).Configure(cutover.Mirror);
        }
    }

    public MirrorEngine For(CutoverConfig cutover) =>
        _engines.GetOrAdd(cutover.Name, static (name, state) => new MirrorEngine(name, state.cutover.Mirror, state.self._metrics.For(name), state.self._time, state.self._loggers.CreateLogger<MirrorEngine>()), (cutover, self: this));

    /// <summary>The engine of a cutover, null when it has none (unknown, or forwarded as connections only).</summary>
    public MirrorEngine? Find(string cutover) => _engines.GetValueOrDefault(cutover);

    public MirrorReadiness Readiness(string cutover) => Find(cutover)?.Results.Readiness() ?? MirrorReadiness.None;
}
