using System.Collections.Concurrent;
using DnsBridge.Configuration;

namespace DnsBridge.Mirror;

/// <summary>
/// One <see cref="MirrorEngine"/> per cutover, kept across reloads (a reload changes its settings, never its
/// results). The request path reaches an engine only for a cutover whose <c>Mirror.Share</c> is above 0.
/// </summary>
internal sealed class MirrorRegistry
{
    private readonly ConcurrentDictionary<string, MirrorEngine> _engines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MirrorResultsState> _restored = new(StringComparer.Ordinal);
    private readonly MirrorMetrics _metrics;
    private readonly SpareCapacity _spare;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    public MirrorRegistry(ConfigMonitor config, MirrorMetrics metrics, SpareCapacity spare, TimeProvider time, ILoggerFactory loggers)
    {
        _metrics = metrics;
        _spare = spare;
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

    public MirrorEngine For(CutoverConfig cutover)
    {
        var engine = _engines.GetOrAdd(cutover.Name, static (name, state) => new MirrorEngine(name, state.cutover.Mirror, state.self._metrics.For(name), state.self._spare, state.self._time, state.self._loggers.CreateLogger<MirrorEngine>()), (cutover, self: this));
        if (_restored.TryRemove(cutover.Name, out var before))
        {
            engine.Results.Add(before);
        }

        return engine;
    }

    /// <summary>The engine of a cutover, null when it has none (unknown, or forwarded as connections only).</summary>
    public MirrorEngine? Find(string cutover) => _engines.GetValueOrDefault(cutover);

    /// <summary>Every engine so far (one per cutover configured since the start, also those removed since).</summary>
    public IEnumerable<MirrorEngine> Engines => _engines.Values;

    /// <summary>
    /// Adds what this replica counted for <paramref name="cutover"/> before it restarted: now when the cutover has an
    /// engine, else when it gets one (a cutover added back to the configuration continues its results).
    /// </summary>
    public void Restore(string cutover, MirrorResultsState state)
    {
        if (_engines.TryGetValue(cutover, out var engine))
        {
            engine.Results.Add(state);
        }
        else
        {
            _restored[cutover] = state;
        }
    }
}
