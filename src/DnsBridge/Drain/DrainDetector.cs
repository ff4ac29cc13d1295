using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Forwarding;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Drain;

/// <summary>
/// The drain state machine of every cutover, driven by propagation snapshots and residual traffic, evaluated every
/// second on a <see cref="TimeProvider"/> timer (so tests drive it with a fake clock). Every transition is persisted;
/// every event is written with its outbox rows before it can be delivered, and <c>drain_complete</c> is raised
/// exactly once per drain (again only after a <c>drain_regressed</c>).
/// </summary>
public sealed partial class DrainDetector : IPropagationListener, IHostedService, IDisposable
{
    private static readonly TimeSpan MaxQuietEntryWindow = TimeSpan.FromMinutes(1);
    private const int UnhealthyMinErrors = 5;
    private const double UnhealthyErrorShare = 0.5;

    private readonly ConfigMonitor _config;
    private readonly ICutoverStatusStore _statuses;
    private readonly IEventStore _events;
    private readonly IResidualHistory _residualHistory;
    private readonly IPropagationHistory _propagationHistory;
    private readonly ResidualAccounting _residual;
    private readonly NudgeRegistry _nudges;
    private readonly TargetHealthRegistry _health;
    private readonly TimeProvider _time;
    private readonly ILogger<DrainDetector> _logger;
    private readonly Gauge _stateMetric;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private System.Threading.ITimer? _timer;

    public DrainDetector(ConfigMonitor config, ICutoverStatusStore statuses, IEventStore events, IResidualHistory residualHistory,
        IPropagationHistory propagationHistory, ResidualAccounting residual, NudgeRegistry nudges, TargetHealthRegistry health,
        IMetricFactory metrics, TimeProvider time, ILogger<DrainDetector> logger)
    {
        _config = config;
        _statuses = statuses;
        _events = events;
        _residualHistory = residualHistory;
        _propagationHistory = propagationHistory;
        _residual = residual;
        _nudges = nudges;
        _health = health;
        _time = time;
        _logger = logger;
        _stateMetric = metrics.CreateGauge("dnsbridge_drain_state", "1 for the current drain state of a cutover (pending, propagating, draining, quiet, drained).", ["cutover", "state"]);
        var persisted = statuses.Load();
        foreach (var cutover in config.Current.Cutovers)
        {
            Track(cutover, persisted);
        }

        config.Changed += (_, next) =>
        {
            lock (_gate)
            {
                foreach (var removed in _tracked.Keys.Where(k => next.Cutovers.All(c => c.Name != k)).ToList())
                {
                    _tracked.Remove(removed);
                    foreach (var state in DrainStates.All)
                    {
                        _stateMetric.RemoveLabelled(removed, state.Label());
                    }
                }

                var stored = statuses.Load();
                foreach (var cutover in next.Cutovers.Where(c => !_tracked.ContainsKey(c.Name)))
                {
                    Track(cutover, stored);
                }
            }
        };
    }

    private void Track(CutoverConfig cutover, IReadOnlyDictionary<string, DrainStatus> persisted)
    {
        var counter = _residual.For(cutover);
        var status = persisted.TryGetValue(cutover.Name, out var stored) ? stored : new DrainStatus { Since = _time.GetUtcNow() };
        counter.Restore(status.ResidualTotal, status.LastResidualAt);
        var tracked = new Tracked(cutover.Name, status, counter, _health.For(cutover.Name));
        _tracked[cutover.Name] = tracked;
        Publish(tracked);
        _nudges.For(cutover.Name).PropagationComplete = status.State.PropagationComplete();
    }

    /// <summary>The current status of a cutover (null when not configured).</summary>
    public DrainStatus? Status(string cutover)
    {
        lock (_gate)
        {
            return _tracked.TryGetValue(cutover, out var t) ? t.Status : null;
        }
    }

    public void OnSnapshot(PropagationSnapshot snapshot)
    {
        lock (_gate)
        {
            if (!_tracked.TryGetValue(snapshot.Cutover, out var tracked))
            {
                return;
            }

            RecordChanges(tracked, snapshot);
            tracked.Snapshot = snapshot;
            Evaluate(tracked, _time.GetUtcNow());
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = _time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();

        // The last second of accounting is written on the way out.
        Tick();
        return Task.CompletedTask;
    }

    /// <summary>One evaluation of every cutover; the timer calls it every second.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var buckets = new List<(string, long, long)>();
            var flushed = new List<(Tracked Tracked, long Total)>();
            foreach (var tracked in _tracked.Values)
            {
                var total = tracked.Residual.Residual;
                if (total != tracked.FlushedTotal)
                {
                    buckets.Add((tracked.Name, now.ToUnixTimeSeconds() / 60, total - tracked.FlushedTotal));
                    flushed.Add((tracked, total));
                    tracked.Status = tracked.Status with { ResidualTotal = total, LastResidualAt = tracked.Residual.LastResidualAt };
                    tracked.Dirty = true;
                }

                tracked.Samples.Enqueue((now, total));
                while (tracked.Samples.Count > 0 && now - tracked.Samples.Peek().At > MaxQuietEntryWindow + TimeSpan.FromSeconds(5))
                {
                    tracked.Samples.Dequeue();
                }

                CheckTargetHealth(tracked, now);
                Evaluate(tracked, now);
                if (tracked.Dirty && _statuses.Save(tracked.Name, tracked.Status, now))
                {
                    tracked.Dirty = false;
                }
            }

            // Only a write that succeeded moves the mark: while the store fails (read-only, full, locked) the counts
            // accumulate and land in the minute the store comes back, instead of being lost.
            if (buckets.Count > 0 && _residualHistory.Add(buckets.Select(b => new ResidualMinute(b.Item1, b.Item2, b.Item3))))
            {
                foreach (var (tracked, total) in flushed)
                {
                    tracked.FlushedTotal = total;
                }
            }
        }
    }

    private void Evaluate(Tracked t, DateTimeOffset now)
    {
        var cutover = _config.Current.Cutovers.FirstOrDefault(c => c.Name == t.Name);
        if (cutover is null)
        {
            return;
        }

        var drain = cutover.Drain;
        var total = t.Residual.Residual;
        for (var guard = 0; guard < 5; guard++)
        {
            var s = t.Status;
            var snapshot = t.Snapshot;
            DrainStatus? next = null;
            string? raise = null;
            string text = "";
            switch (s.State)
            {
                case DrainState.Pending when snapshot is not null && Switched(snapshot):
                    next = s with { State = DrainState.Propagating, Since = now, DnsSwitchedAt = now, StaleUntil = Later(s.StaleUntil, snapshot.StaleUntil) };
                    raise = EventNames.DnsSwitched;
                    text = snapshot.Authoritative is null
                        ? $"{t.Name}: DNS switched: a resolver now answers the target ({Target(cutover)}); no authoritative servers were asked"
                        : $"{t.Name}: DNS switched: the authoritative servers now answer the target ({Target(cutover)})";
                    break;
                case DrainState.Propagating when snapshot is not null:
                    var staleUntil = Later(s.StaleUntil, snapshot.StaleUntil);
                    if (snapshot.Complete)
                    {
                        next = s with { State = DrainState.Draining, Since = now, PropagationCompleteAt = now, StaleUntil = staleUntil };
                        raise = EventNames.PropagationComplete;
                        var answering = snapshot.Resolvers.Count(r => !r.Resolver.Authoritative && r.Answer != ResolverAnswer.Error);
                        text = $"{t.Name}: propagation complete: all {answering} answering resolvers give the target"
                            + (staleUntil > now ? $"; the last stale caches expire by {staleUntil:yyyy-MM-dd HH:mm:ss} UTC" : "");
                    }
                    else if (staleUntil != s.StaleUntil)
                    {
                        next = s with { StaleUntil = staleUntil };
                    }

                    break;
                case DrainState.Draining:
                    var quietAllowedAt = Later(s.PropagationCompleteAt, s.StaleUntil) ?? now;
                    if (now >= quietAllowedAt && ResidualIn(t, now, Window(drain)) is { } recent && recent <= drain.Threshold)
                    {
                        next = s with { State = DrainState.Quiet, Since = now, QuietSince = now, Baseline = total };
                        LogQuiet(_logger, t.Name, drain.QuietPeriod);
                    }

                    break;
                case DrainState.Quiet when total - s.Baseline > drain.Threshold:
                    next = s with { State = DrainState.Draining, Since = now, QuietSince = null };
                    LogQuietBroken(_logger, t.Name, total - s.Baseline);
                    break;
                case DrainState.Quiet when now - s.QuietSince >= drain.QuietPeriod:
                    next = s with { State = DrainState.Drained, Since = now, DrainedAt = now, Baseline = total };
                    raise = EventNames.DrainComplete;
                    text = $"{t.Name}: drained: at most {drain.Threshold} residual request(s) for {drain.QuietPeriod:c} since {s.QuietSince:yyyy-MM-dd HH:mm:ss} UTC; "
                        + $"the source proxy and load balancer for {string.Join(", ", cutover.Hosts)} can be decommissioned";
                    break;
                case DrainState.Drained when total - s.Baseline > drain.Threshold:
                    next = s with { State = DrainState.Draining, Since = now, QuietSince = null, DrainedAt = null };
                    raise = EventNames.DrainRegressed;
                    var top = t.Residual.Clients.Top(1);
                    var last = top.Count > 0 ? top[0] : default;
                    text = $"{t.Name}: residual traffic is back after the drain: {total - s.Baseline} request(s) since {s.DrainedAt:yyyy-MM-dd HH:mm:ss} UTC"
                        + (last.Key is null ? "" : $" (top client {last.Key})") + "; do not decommission the source yet";
                    break;
                default:
                    break;
            }

            if (next is null)
            {
                return;
            }

            Apply(t, next, raise, text, now);
        }
    }

    private void Apply(Tracked t, DrainStatus next, string? raise, string text, DateTimeOffset now)
    {
        var previous = t.Status.State;
        t.Status = next;
        t.Dirty = true;
        if (raise is not null)
        {
            var e = new CutoverEvent(Guid.NewGuid().ToString("N"), t.Name, raise, now, text);
            if (_events.Append(e, next, _config.Current.Alerts.Webhooks.Select(w => w.Url), now))
            {
                t.Dirty = false;
            }

            LogEvent(_logger, t.Name, raise, text);
        }

        if (previous != next.State)
        {
            LogTransition(_logger, t.Name, previous.Label(), next.State.Label());
            Publish(t);
            _nudges.For(t.Name).PropagationComplete = next.State.PropagationComplete();
        }
    }

    private void CheckTargetHealth(Tracked t, DateTimeOffset now)
    {
        t.HealthSamples.Enqueue((now, t.Health.Forwarded, t.Health.Errors));
        while (t.HealthSamples.Count > 0 && now - t.HealthSamples.Peek().At > TimeSpan.FromMinutes(1))
        {
            t.HealthSamples.Dequeue();
        }

        var (_, forwarded0, errors0) = t.HealthSamples.Peek();
        var forwarded = t.Health.Forwarded - forwarded0;
        var errors = t.Health.Errors - errors0;
        var unhealthy = errors >= UnhealthyMinErrors && errors >= forwarded * UnhealthyErrorShare;
        if (unhealthy && !t.Unhealthy)
        {
            t.Unhealthy = true;
            var cutover = _config.Current.Cutovers.FirstOrDefault(c => c.Name == t.Name);
            var e = new CutoverEvent(Guid.NewGuid().ToString("N"), t.Name, EventNames.TargetUnhealthy, now,
                $"{t.Name}: target {(cutover is null ? "" : Target(cutover))} is failing: {errors} of {forwarded} forwarded requests failed in the last minute; residual clients get 502/504");
            _events.Append(e, t.Status, _config.Current.Alerts.Webhooks.Select(w => w.Url), now);
            LogEvent(_logger, t.Name, e.Event, e.Text);
        }
        else if (t.Unhealthy && errors == 0 && forwarded > 0)
        {
            t.Unhealthy = false;
            LogTargetRecovered(_logger, t.Name);
        }
    }

    /// <summary>Records each resolver's answer when it changes (the propagation history of the report).</summary>
    private void RecordChanges(Tracked t, PropagationSnapshot snapshot)
    {
        foreach (var result in snapshot.Resolvers)
        {
            var answer = PropagationMetrics.Label(result.Answer);
            var addresses = string.Join(',', result.Addresses);
            if (t.Answers.TryGetValue(result.Resolver.Name, out var known) && known == (answer, addresses))
            {
                continue;
            }

            t.Answers[result.Resolver.Name] = (answer, addresses);
            _propagationHistory.Add(new PropagationChange(t.Name, result.Resolver.Name, result.CheckedAt, answer, addresses, result.Ttl));
        }
    }

    /// <summary>Without authoritative servers to ask, the first target answer of any resolver marks the switch.</summary>
    private static bool Switched(PropagationSnapshot snapshot) => snapshot.Authoritative is { } authoritative
        ? authoritative == ResolverAnswer.Target
        : snapshot.Resolvers.Any(r => r.Answer == ResolverAnswer.Target);

    private static TimeSpan Window(DrainConfig drain) => drain.QuietPeriod < MaxQuietEntryWindow ? drain.QuietPeriod : MaxQuietEntryWindow;

    /// <summary>Residual requests in the trailing window; null until the detector has watched a whole window.</summary>
    private static long? ResidualIn(Tracked t, DateTimeOffset now, TimeSpan window)
    {
        (DateTimeOffset At, long Total)? start = null;
        foreach (var sample in t.Samples)
        {
            if (now - sample.At <= window)
            {
                break;
            }

            start = sample;
        }

        return start is null ? null : t.Residual.Residual - start.Value.Total;
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string Target(CutoverConfig c) => string.Create(CultureInfo.InvariantCulture, $"{c.Target.Address}:{c.Target.Port}");

    private void Publish(Tracked t)
    {
        foreach (var state in DrainStates.All)
        {
            _stateMetric.WithLabels(t.Name, state.Label()).Set(state == t.Status.State ? 1 : 0);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private sealed class Tracked(string name, DrainStatus status, ResidualCounter residual, TargetHealth health)
    {
        public string Name { get; } = name;
        public DrainStatus Status { get; set; } = status;
        public ResidualCounter Residual { get; } = residual;
        public TargetHealth Health { get; } = health;
        public PropagationSnapshot? Snapshot { get; set; }
        public bool Dirty { get; set; }
        public bool Unhealthy { get; set; }
        public long FlushedTotal { get; set; } = status.ResidualTotal;
        public Queue<(DateTimeOffset At, long Total)> Samples { get; } = new();
        public Queue<(DateTimeOffset At, long Forwarded, long Errors)> HealthSamples { get; } = new();
        public Dictionary<string, (string Answer, string Addresses)> Answers { get; } = new(StringComparer.Ordinal);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Cutover {Cutover}: drain state {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string cutover, string from, string to);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Cutover {Cutover}: event {Event}: {Text}")]
    private static partial void LogEvent(ILogger logger, string cutover, string @event, string text);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Cutover {Cutover}: residual traffic is quiet; drained after {QuietPeriod} more without traffic")]
    private static partial void LogQuiet(ILogger logger, string cutover, TimeSpan quietPeriod);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Cutover {Cutover}: quiet period broken by {Requests} residual request(s); the quiet clock restarts when traffic stops")]
    private static partial void LogQuietBroken(ILogger logger, string cutover, long requests);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Cutover {Cutover}: target answers again")]
    private static partial void LogTargetRecovered(ILogger logger, string cutover);
}
