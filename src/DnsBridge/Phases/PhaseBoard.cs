using System.Collections.Concurrent;
using DnsBridge.Configuration;
using DnsBridge.Events;
using Prometheus;

namespace DnsBridge.Phases;

/// <summary>
/// The phase of every cutover as this process applies it, in memory: the request path reads it, the controller
/// sets it from the store. Cells outlive configuration reloads (held requests keep waiting on them).
/// </summary>
internal sealed class PhaseBoard : ICutoverPhases
{
    private readonly ConcurrentDictionary<string, PhaseCell> _cells = new(StringComparer.Ordinal);
    private readonly ConfigMonitor _config;
    private readonly Counter _held;

    public PhaseBoard(ConfigMonitor config, IMetricFactory metrics, CollectorRegistry registry)
    {
        _config = config;
        _held = metrics.CreateCounter("dnsbridge_held_requests_total",
            "Requests (and connections) held while a cutover was frozen, by cutover and outcome: released when the phase changed, rejected (503, closed) when Freeze.Hold ran out or Freeze.MaxHeld were held.",
            ["cutover", "outcome"]);
        var gauge = metrics.CreateGauge("dnsbridge_cutover_phase", "1 for each cutover's current phase (rehearsal, frozen, switched, rolled_back).", ["cutover", "phase"]);

        // Read at scrape time: the gauge says what the request path does, with no timer of its own.
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var cutover in _config.Current.Cutovers)
            {
                var phase = PhaseOf(cutover);
                foreach (var p in CutoverPhases.All)
                {
                    gauge.WithLabels(cutover.Name, p.Label()).Set(p == phase ? 1 : 0);
                }
            }
        });
    }

    /// <summary>The cell of a cutover with phases (made on first use, phase unknown until the controller sets it).</summary>
    public PhaseCell For(string cutover) => _cells.GetOrAdd(cutover, name => new PhaseCell(name, _held));

    public CutoverPhase PhaseOf(string cutover) =>
        _config.Current.Cutover(cutover) is { } config ? PhaseOf(config) : CutoverPhase.Switched;

    /// <summary>Switched without a source backend; otherwise the applied phase, frozen while not known yet.</summary>
    public CutoverPhase PhaseOf(CutoverConfig cutover) =>
        !cutover.HasPhases ? CutoverPhase.Switched : For(cutover.Name).Phase ?? CutoverPhase.Frozen;

    /// <summary>Whether the phase is known (read from the store at least once).</summary>
    public bool Known(string cutover) => For(cutover).Phase is not null;

    internal bool Set(string cutover, CutoverPhase phase) => For(cutover).Set(phase);
}
