using DnsBridge.Cluster;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Jobs;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Drain;

/// <summary>
/// Feeds <see cref="DrainStateMachine"/> every second (on a <see cref="TimeProvider"/> timer, so tests drive it with
/// a fake clock) and on every propagation snapshot, and persists what it decides. A transition that raises an event
/// takes effect only once the event and the new status are stored together; while the store fails it is tried
/// again on the next tick, so <c>drain_complete</c> is raised exactly once per drain, never zero times. Only the
/// leader decides, over the cluster-wide residual figures (<see cref="ClusterResidual"/>); a follower reads the
/// statuses the leader stored, every tick, and announces them like its own, so every replica nudges alike. A replica
/// that becomes leader first reloads the stored statuses and continues from them.
/// </summary>
internal sealed partial class DrainDetector : PeriodicJob, IPropagationListener
{
    private readonly ConfigMonitor _config;
    private readonly ICutoverStatusStore _statuses;
    private readonly EventJournal _events;
    private readonly ResidualAccounting _residual;
    private readonly ClusterResidual _cluster;
    private readonly ILeadership _leadership;
    private readonly IPropagationView? _propagation;
    private readonly IDrainObserver[] _observers;
    private readonly ICutoverPhases _phases;
    private readonly ILogger<DrainDetector> _logger;
    private readonly Gauge _stateMetric;

    // Evaluation and persistence hold the job's gate; readers (the API) read the tracked statuses without it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private bool _leading;

    public DrainDetector(ConfigMonitor config, ICutoverStatusStore statuses, EventJournal events, ResidualAccounting residual, ClusterResidual cluster, ILeadership leadership,
        IEnumerable<IDrainObserver> observers, IMetricFactory metrics, TimeProvider time, ILogger<DrainDetector> logger, IPropagationView? propagation = null,
        ICutoverPhases? phases = null)
        : base("drain", time, JobFailures.Counter(metrics), logger)
    {
        _cluster = cluster;
        _leadership = leadership;
        _propagation = propagation;
        _config = config;
        _statuses = statuses;
        _events = events;
        _residual = residual;
        _observers = [.. observers];
        _phases = phases ?? AlwaysSwitched.Instance;
        _logger = logger;
        _stateMetric = metrics.CreateGauge("dnsbridge_drain_state", "1 for the current drain state of a cutover (pending, propagating, draining, quiet, drained).", ["cutover", "state"]);
        Follow(config.Current);
        config.Changed += (_, next) => Follow(next);
    }

    /// <summary>Tracks the cutovers of a (new) config: removed ones are forgotten, new ones start from their stored status.</summary>
    private void Follow(DnsBridgeConfig config)
    {
        lock (Gate)
        {
            foreach (var removed in _tracked.Keys.Where(k => config.Cutovers.All(c => c.Name != k)).ToList())
            {
                _tracked.TryRemove(removed, out _);
                foreach (var state in DrainStates.All)
                {
                    _stateMetric.RemoveLabelled(removed, state.Label());
                }
            }

            var added = config.Cutovers.Where(c => !_tracked.ContainsKey(c.Name)).ToList();
            if (added.Count == 0)
            {
                return;
            }

            var stored = _statuses.Load();
            foreach (var cutover in added)
            {
                var counter = _residual.For(cutover);
                var status = stored.TryGetValue(cutover.Name, out var s) ? s : new DrainStatus { Since = Time.GetUtcNow() };
                if (_cluster.Own(cutover.Name) is { } own)
                {
                    counter.Restore(own.Requests, own.Connections, own.LastResidualAt);
                }
                else if (!_cluster.AnyStored(cutover.Name))
                {
                    // A state written before replicas had rows of their own: its total was this (only) replica's.
                    counter.Restore(status.ResidualTotal, 0, status.LastResidualAt);
                }

                var tracked = new Tracked(cutover.Name, status);
                _tracked[cutover.Name] = tracked;
                Announce(tracked);
            }
        }
    }

    /// <summary>The current status of a cutover (null when not configured). Never waits for the store.</summary>
    public DrainStatus? Status(string cutover) => _tracked.TryGetValue(cutover, out var t) ? t.Status : null;

    public void OnSnapshot(PropagationSnapshot snapshot)
    {
        if (!_tracked.TryGetValue(snapshot.Cutover, out var tracked))
        {
            return;
        }

        tracked.Snapshot = snapshot;
        if (!_leadership.IsLeader)
        {
            return;
        }

        // While a tick waits on a slow store, the poller's thread does not wait with it: that tick, or the next one
        // a second later, evaluates the snapshot.
        if (Gate.TryEnter())
        {
            try
            {
                Evaluate(tracked, Time.GetUtcNow());
            }
            finally
            {
                Gate.Exit();
            }
        }
    }

    /// <summary>The last second of accounting is written on the way out.</summary>
    protected override bool IterateOnStop => true;

    /// <summary>
    /// One evaluation of every cutover, every second. Whatever an iteration threw, the next one decides again from the
    /// stored state: a transition happens only once stored.
    /// </summary>
    protected override void Iterate()
    {
        var now = Time.GetUtcNow();
        if (!_leadership.IsLeader)
        {
            _leading = false;
            FollowStored();
            return;
        }

        if (!_leading)
        {
            _leading = TakeOver();
            if (!_leading)
            {
                return;
            }
        }

        foreach (var tracked in _tracked.Values)
        {
            var figures = _cluster.For(tracked.Name);
            var total = figures.Total;
            if (total != tracked.Status.ResidualTotal)
            {
                tracked.Status = tracked.Status with { ResidualTotal = total, LastResidualAt = figures.LastResidualAt };
                tracked.Dirty = true;
            }

            tracked.Window.Add(now, total);
            Evaluate(tracked, now);
            if (tracked.Dirty && _statuses.Save(tracked.Name, tracked.Status, now))
            {
                tracked.Dirty = false;
            }
        }
    }

    /// <summary>A follower takes what the leader stored; a state that changed is announced (nudging starts or stops).</summary>
    private void FollowStored()
    {
        IReadOnlyDictionary<string, DrainStatus> stored;
        try
        {
            stored = _statuses.Load();
        }
        catch (StateStoreException)
        {
            // The last statuses stay; the next tick reads again.
            return;
        }

        foreach (var tracked in _tracked.Values)
        {
            if (stored.TryGetValue(tracked.Name, out var status) && status != tracked.Status)
            {
                var previous = tracked.Status;
                tracked.Status = status;
                tracked.Dirty = false;
                if (previous.State != status.State)
                {
                    LogFollowed(_logger, tracked.Name, previous.State.Label(), status.State.Label());
                    Announce(tracked);
                }
            }
        }
    }

    /// <summary>
    /// The first tick as leader: the statuses (clocks, baselines) the last leader stored and the propagation snapshot it
    /// published; the quiet-entry window starts anew. False when the store cannot be read: not leading yet, tried next tick.
    /// </summary>
    private bool TakeOver()
    {
        IReadOnlyDictionary<string, DrainStatus> stored;
        try
        {
            stored = _statuses.Load();
        }
        catch (StateStoreException)
        {
            return false;
        }

        foreach (var tracked in _tracked.Values)
        {
            var previous = tracked.Status;
            if (stored.TryGetValue(tracked.Name, out var status))
            {
                tracked.Status = status;
            }

            tracked.Snapshot ??= _propagation?.Latest(tracked.Name);
            tracked.Window = new ResidualWindow();
            tracked.Dirty = false;
            if (previous.State != tracked.Status.State)
            {
                Announce(tracked);
            }
        }

        return true;
    }

    private void Evaluate(Tracked t, DateTimeOffset now)
    {
        var cutover = _config.Current.Cutover(t.Name);
        if (cutover is null)
        {
            return;
        }

        // Rolled back: traffic goes to the source again and DNS is on its way back; no transition, no drain event,
        // until the cutover is switched (or rehearsed) again.
        if (_phases.PhaseOf(t.Name) == CutoverPhase.RolledBack)
        {
            return;
        }

        var total = _cluster.For(t.Name).Total;
        var input = new DrainInput(t.Snapshot, total, t.Window.In(now, DrainStateMachine.QuietEntryWindow(cutover.Drain), total), () => TopClient(t.Name));
        foreach (var step in DrainStateMachine.Advance(cutover, t.Status, input, now))
        {
            if (step.Event is not null && !_events.Raise(t.Name, step.Event, step.Text ?? "", now, step.Status))
            {
                // Not stored, so not happened: the same step is decided again on the next tick.
                return;
            }

            if (step.Event == EventNames.PreviousNameServersStale)
            {
                LogPreviousNameServersStale(_logger, t.Name, step.Text ?? "");
            }

            Apply(t, step, cutover);
        }
    }

    private void Apply(Tracked t, DrainTransition step, CutoverConfig cutover)
    {
        var previous = t.Status;
        t.Status = step.Status;

        // A raised event stored the status with it.
        t.Dirty = step.Event is null;
        if (previous.State == step.Status.State)
        {
            return;
        }

        LogTransition(_logger, t.Name, previous.State.Label(), step.Status.State.Label());
        if (step.Status.State == DrainState.Quiet)
        {
            LogQuiet(_logger, t.Name, cutover.Drain.QuietPeriod);
        }
        else if (previous.State == DrainState.Quiet && step.Status.State == DrainState.Draining)
        {
            LogQuietBroken(_logger, t.Name, _cluster.For(t.Name).Total - previous.Baseline);
        }

        Announce(t);
    }

    private void Announce(Tracked t)
    {
        foreach (var state in DrainStates.All)
        {
            _stateMetric.WithLabels(t.Name, state.Label()).Set(state == t.Status.State ? 1 : 0);
        }

        foreach (var observer in _observers)
        {
            observer.OnDrainState(t.Name, t.Status.State);
        }
    }

    private string? TopClient(string cutover) => _cluster.TopClients(cutover, 1) is [var top, ..] ? top.Client : null;

    private sealed class Tracked(string name, DrainStatus status)
    {
        private volatile DrainStatus _status = status;
        private volatile PropagationSnapshot? _snapshot;

        public string Name { get; } = name;

        public DrainStatus Status
        {
            get => _status;
            set => _status = value;
        }

        public PropagationSnapshot? Snapshot
        {
            get => _snapshot;
            set => _snapshot = value;
        }

        public bool Dirty { get; set; }
        public ResidualWindow Window { get; set; } = new();
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Cutover {Cutover}: drain state {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string cutover, string from, string to);

    [LoggerMessage(EventId = 511, Level = LogLevel.Information, Message = "Cutover {Cutover}: drain state {From} -> {To} (decided by the leader)")]
    private static partial void LogFollowed(ILogger logger, string cutover, string from, string to);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Cutover {Cutover}: previous_nameservers_stale: {Text}")]
    private static partial void LogPreviousNameServersStale(ILogger logger, string cutover, string text);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Cutover {Cutover}: residual traffic is quiet; drained after {QuietPeriod} more without traffic")]
    private static partial void LogQuiet(ILogger logger, string cutover, TimeSpan quietPeriod);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Cutover {Cutover}: quiet period broken by {Requests} residual request(s); the quiet clock restarts when traffic stops")]
    private static partial void LogQuietBroken(ILogger logger, string cutover, long requests);
}
