using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Jobs;
using Prometheus;

namespace DnsBridge.Forwarding;

/// <summary>
/// Watches what the forwarder observes of each target, every second over the last minute: when at least
/// <see cref="MinErrors"/> forwards failed and they were at least half of all forwards, the target is unhealthy and
/// <c>target_unhealthy</c> is raised once (again only after it answered cleanly). Residual clients then get 502/504,
/// which the operator must hear about before the drain is trusted.
/// </summary>
internal sealed partial class TargetHealthMonitor(ConfigMonitor config, TargetHealthRegistry health, EventJournal events, TimeProvider time, IMetricFactory metrics,
    ILogger<TargetHealthMonitor> logger) : PeriodicJob("target_health", time, JobFailures.Counter(metrics), logger)
{
    public const int MinErrors = 5;
    public const double ErrorShare = 0.5;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);
    private IReadOnlyList<CutoverConfig>? _pruned;

    /// <summary>Nothing to write on the way out: a health look after the last tick would only raise an event late.</summary>
    protected override bool IterateOnStop => false;

    /// <summary>One look at every cutover's target, every second.</summary>
    protected override void Iterate()
    {
        var now = Time.GetUtcNow();
        var cutovers = config.Current.Cutovers;

        // Only a new configuration can remove a cutover: once per reload, not a scan of every pair every second.
        if (!ReferenceEquals(cutovers, _pruned))
        {
            var names = cutovers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _watched.Keys.Where(k => !names.Contains(k)).ToList())
            {
                _watched.Remove(gone);
            }

            _pruned = cutovers;
        }

        foreach (var cutover in cutovers)
        {
            if (!_watched.TryGetValue(cutover.Name, out var watched))
            {
                _watched[cutover.Name] = watched = new Watched(health.For(cutover.Name));
            }

            Check(cutover, watched, now);
        }
    }

    private void Check(CutoverConfig cutover, Watched w, DateTimeOffset now)
    {
        var (forwardedNow, errorsNow) = (w.Health.Forwarded, w.Health.Errors);
        if (w.Samples.Count == 0 && w.IdleSinceWatched)
        {
            // Nothing forwarded since it was first watched: every sample would be (0, 0), so none is kept (a wave of
            // idle cutovers keeps no minute of samples each). The first forward brings back the zero baseline they
            // would have given, so the first second's errors count as before.
            if (forwardedNow == 0)
            {
                return;
            }

            w.Samples.Enqueue((now, 0, 0));
        }

        w.Samples.Enqueue((now, forwardedNow, errorsNow));
        while (w.Samples.Count > 0 && now - w.Samples.Peek().At > Window)
        {
            w.Samples.Dequeue();
        }

        var (_, forwarded0, errors0) = w.Samples.Peek();
        var forwarded = forwardedNow - forwarded0;
        var errors = errorsNow - errors0;
        var unhealthy = errors >= MinErrors && errors >= forwarded * ErrorShare;
        if (unhealthy && !w.Unhealthy)
        {
            var target = string.Create(CultureInfo.InvariantCulture, $"{cutover.Target.Address}:{cutover.Target.Port}");
            // Unstored means unraised: the next tick tries again.
            w.Unhealthy = events.Raise(cutover.Name, EventNames.TargetUnhealthy,
                $"{cutover.Name}: target {target} is failing: {errors} of {forwarded} forwarded requests failed in the last minute; residual clients get 502/504", now);
        }
        else if (w.Unhealthy && errors == 0 && forwarded > 0)
        {
            w.Unhealthy = false;
            LogTargetRecovered(logger, cutover.Name);
        }
    }

    private sealed class Watched(TargetHealth health)
    {
        public TargetHealth Health { get; } = health;

        /// <summary>Whether nothing had been forwarded when watching began (a cutover back in the config may have counts).</summary>
        public bool IdleSinceWatched { get; } = health.Forwarded == 0;
        public bool Unhealthy { get; set; }
        public Queue<(DateTimeOffset At, long Forwarded, long Errors)> Samples { get; } = new();
    }

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Cutover {Cutover}: target answers again")]
    private static partial void LogTargetRecovered(ILogger logger, string cutover);
}
