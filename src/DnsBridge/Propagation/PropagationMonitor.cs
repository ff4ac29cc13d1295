using System.Collections.Concurrent;
using DnsBridge.Cluster;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Jobs;
using DnsBridge.Propagation.Delegation;
using DnsBridge.Propagation.Vantages;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Propagation;

/// <summary>
/// Polls every cutover every <c>Propagation.Interval</c> (jittered) across the resolver set and the zone's
/// authoritative servers, keeps the latest snapshot per cutover, flags resolvers still stale after their own TTL
/// ran out, and tells the listeners (drain detector, state store). Healthy even with every resolver unreachable.
/// A pass spreads the questions to each resolver over the interval (<see cref="PacingPlan"/>), at most
/// <c>Propagation:MaxQuestionsPerSecondPerResolver</c> a second; the next pass starts an interval after the previous
/// one started, at once when the cap made it longer.
/// In a cluster only the leader polls (and publishes its snapshots to the store); a follower reads the published
/// snapshots every second instead, so its API and status page show what the leader sees.
/// </summary>
internal sealed partial class PropagationMonitor : BackgroundService, IPropagationView
{
    private static readonly TimeSpan AuthoritativeRefresh = TimeSpan.FromMinutes(10);
    private readonly ICutoverPhases _phases;
    private readonly ConfigMonitor _config;
    private readonly DnsQuerier _querier;
    private readonly PropagationMetrics _metrics;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<PropagationMonitor> _logger;
    private readonly ILeadership _leadership;
    private readonly IClusterStore? _store;
    private readonly ConcurrentDictionary<string, PropagationSnapshot> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Cutover, string Resolver), DateTimeOffset> _staleExpiry = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<ResolverInfo> Servers)> _authoritative = new(StringComparer.OrdinalIgnoreCase);
    private readonly PropagationPoller _poller;
    private readonly DelegationWatcher _delegation;
    private readonly VantagePuller _vantages;
    private readonly Counter _failures;
    private readonly ConcurrentDictionary<string, TimeSpan> _stretched = new(StringComparer.Ordinal);
    private CancellationTokenSource _wake = new();
    private long _passes;

    public PropagationMonitor(ConfigMonitor config, DnsQuerier querier, PropagationMetrics metrics, IServiceProvider services, TimeProvider time, ILogger<PropagationMonitor> logger,
        ILeadership leadership, IMetricFactory metricFactory, IClusterStore? store = null, ICutoverPhases? phases = null)
    {
        _phases = phases ?? AlwaysSwitched.Instance;
        _failures = JobFailures.Counter(metricFactory);
        _leadership = leadership;
        _store = store;
        _config = config;
        _querier = querier;
        _metrics = metrics;
        _services = services;
        _time = time;
        _logger = logger;
        _poller = new PropagationPoller(querier, time) { Observed = metrics.Observe };
        _delegation = new DelegationWatcher(querier, time, services.GetService<DnsBridge.State.IDelegationStore>(), logger);
        _vantages = new VantagePuller(time, logger);
        config.Changed += OnConfigChanged;
    }


    public PropagationSnapshot? Latest(string cutover) => _latest.TryGetValue(cutover, out var snapshot) ? snapshot : null;

    /// <summary>
    /// Passes of the loop finished so far, polled or (with <c>Propagation:Enabled: false</c>) skipped: what shows that
    /// an interval went by, so a test can prove that nothing was polled without guessing a sleep.
    /// </summary>
    public long Passes => Interlocked.Read(ref _passes);

    private void OnConfigChanged(DnsBridgeConfig previous, DnsBridgeConfig next)
    {
        foreach (var removed in previous.Cutovers.Where(c => next.Cutovers.All(n => n.Name != c.Name)))
        {
            if (_latest.TryRemove(removed.Name, out var last))
            {
                _metrics.Forget(removed.Name, last.Resolvers.Select(r => r.Resolver));
            }
        }

        _delegation.Forget();

        // Poll at once, so a new cutover or resolver set shows without waiting a whole interval.
        _wake.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listeners = _services.GetServices<IPropagationListener>().ToList();
        var failures = 0;

        // The first pass, and the one after a configuration change, ask at the cap's pace: rows show at once.
        var hurry = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var config = _config.Current;
            var leader = _leadership.IsLeader;
            var started = _time.GetTimestamp();
            var wake = _wake;
            try
            {
                if (!leader)
                {
                    await FollowStoredAsync(config);
                }
                else if (config.Propagation.Enabled)
                {
                    // A change stops a spread pass: the next one, with the new configuration, starts at once.
                    using var pass = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wake.Token);
                    await PollAllAsync(config, listeners, pass.Token, spread: !hurry);
                    hurry = false;
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (wake.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // A hostile answer or a bug in one pass must not stop the process (and with it the forwarding): the
                // pass is logged, counted and tried again, later each time it fails again.
                failures++;
                JobFailures.Record(_failures, _logger, "monitor", e);
            }

            Interlocked.Increment(ref _passes);
            if (wake.IsCancellationRequested)
            {
                _wake = new CancellationTokenSource();
                wake.Dispose();
                hurry = true;
                continue;
            }

            // From the start of the pass: a spread pass takes most of the interval itself.
            var jitter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * config.Propagation.Interval.TotalMilliseconds * 0.1);
            var interval = JobFailures.Backoff(leader ? config.Propagation.Interval + jitter : FollowInterval, failures) - _time.GetElapsedTime(started);
            if (interval <= TimeSpan.Zero)
            {
                continue;
            }

            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wake.Token);
            try
            {
                // A follower reads every second, and so also notices within a second that it now leads (and polls).
                await Task.Delay(interval, _time, delay.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    /// <summary>A follower's pass: the leader's latest snapshots from the store (an unreadable store keeps the last ones).</summary>
    private async Task FollowStoredAsync(DnsBridgeConfig config)
    {
        if (_store is not { } store)
        {
            return;
        }

        IReadOnlyList<StoredSnapshot> stored;
        try
        {
            stored = await StateThreads.Run(store.Snapshots);
        }
        catch (StateStoreException)
        {
            return;
        }

        foreach (var row in stored)
        {
            if (config.Cutover(row.Cutover) is not null
                && (!_latest.TryGetValue(row.Cutover, out var known) || known.At != row.At)
                && SnapshotDocument.Read(row.Document) is { } snapshot)
            {
                _latest[row.Cutover] = snapshot;
                _metrics.Record(snapshot);
            }
        }
    }

    /// <summary>
    /// One pass over every cutover (also what tests and the demo call to poll now): with <paramref name="spread"/>, the
    /// questions to each resolver spread over the interval; without, asked at the cap's pace.
    /// </summary>
    public async Task PollAllAsync(DnsBridgeConfig config, IReadOnlyList<IPropagationListener> listeners, CancellationToken cancellationToken, bool spread = false)
    {
        using var concurrency = new SemaphoreSlim(config.Propagation.Concurrency);
        var recursive = ResolverCatalog.Build(config.Resolvers, config.Propagation.Transport);
        var options = QuestionOptions.From(config.Propagation);
        var pacing = new PacingPlan(_time.GetUtcNow(), config.Propagation.Interval, spread ? config.Propagation.Interval : TimeSpan.Zero,
            config.Propagation.MaxQuestionsPerSecondPerResolver, config.Cutovers.Sum(c => c.Hosts.Count * c.Dns.Types.Count), config.Cutovers.Count, options.Subnets.Count);
        NoteStretched(recursive, pacing);

        // Remote vantages are asked alongside the resolvers, once per pass for every cutover.
        var vantages = _vantages.PullAsync(config.Propagation, cancellationToken);
        await Task.WhenAll(config.Cutovers.Select(async cutover =>
        {
            var authoritative = config.Resolvers.Authoritative
                ? await AuthoritativeServersAsync(config, cutover, recursive, cancellationToken)
                : [];
            NoteStretched(authoritative, pacing);
            var snapshot = await _poller.PollAsync(cutover.Name, cutover.Hosts, cutover.Dns.Types, _phases.PhaseOf(cutover.Name) == CutoverPhase.RolledBack ? AnswerClassifier.ForRollback(cutover) : AnswerClassifier.For(cutover),
                [.. authoritative, .. recursive], config.Propagation.Timeout, concurrency, cancellationToken, options, pacing);
            snapshot = FlagTtlViolations(snapshot);
            snapshot = VantageMerge.Merge(snapshot, await vantages, _time.GetUtcNow(), config.Propagation.Interval);
            var delegation = await _delegation.ProbeAsync(config, cutover, authoritative, recursive, concurrency, cancellationToken);
            snapshot = snapshot.WithDelegation(delegation, await _delegation.SwitchedAtAsync(cutover.Name, snapshot, () => StoredSwitchAsync(cutover.Name)));
            LogAuthoritativeChanges(cutover.Name, _latest.TryGetValue(cutover.Name, out var last) ? last : null, snapshot);
            _latest[cutover.Name] = snapshot;
            _metrics.Record(snapshot);

            // Listeners write to the store: on a state thread, never on the socket's completion thread (SocketTuning).
            await StateThreads.Run(() =>
            {
                foreach (var listener in listeners)
                {
                    try
                    {
                        listener.OnSnapshot(snapshot);
                    }
                    catch (Exception e)
                    {
                        LogListenerFailed(_logger, listener.GetType().Name, cutover.Name, e);
                    }
                }
            });
        }));
    }

    /// <summary>
    /// Says once per resolver (again only after its cycle changes) that the cap makes its pass longer than the
    /// interval, so that operators know why rows refresh less often than configured.
    /// </summary>
    private void NoteStretched(IReadOnlyList<ResolverInfo> resolvers, PacingPlan pacing)
    {
        foreach (var resolver in resolvers)
        {
            if (!pacing.Stretched(resolver))
            {
                _stretched.TryRemove(resolver.Name, out _);
                continue;
            }

            var cycle = pacing.Cycle(resolver);
            if (!_stretched.TryGetValue(resolver.Name, out var known) || known != cycle)
            {
                _stretched[resolver.Name] = cycle;
                LogStretched(_logger, resolver.Name, resolver.Address, pacing.Questions(resolver), pacing.MaxPerSecond, cycle.TotalSeconds, pacing.Interval.TotalSeconds);
            }
        }
    }

    /// <summary>The switch time the drain status stored (it survives restarts and leader changes); null when unknown or unreadable now.</summary>
    private async Task<DateTimeOffset?> StoredSwitchAsync(string cutover)
    {
        if (_services.GetService<ICutoverStatusStore>() is not { } statuses)
        {
            return null;
        }

        try
        {
            return (await StateThreads.Run(statuses.Load)).TryGetValue(cutover, out var status) ? status.DnsSwitchedAt : null;
        }
        catch (StateStoreException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<ResolverInfo>> AuthoritativeServersAsync(DnsBridgeConfig config, CutoverConfig cutover, IReadOnlyList<ResolverInfo> recursive, CancellationToken cancellationToken)
    {
        if (config.Resolvers.AuthoritativeServers.Count > 0)
        {
            return ResolverCatalog.ConfiguredAuthoritative(config.Resolvers);
        }

        var host = cutover.Hosts[0];
        var now = _time.GetUtcNow();
        if (_authoritative.TryGetValue(host, out var cached) && now - cached.At < AuthoritativeRefresh)
        {
            return cached.Servers;
        }

        var found = await _querier.FindAuthoritativeAsync(host, ResolverInfo.PlainEndPoints(recursive), config.Propagation.Timeout, cancellationToken,
            (resolver, ct) => _poller.PaceAsync(ResolverAddress.Plain(resolver), config.Propagation.MaxQuestionsPerSecondPerResolver, ct));
        IReadOnlyList<ResolverInfo> servers = [.. found.Select(f => new ResolverInfo($"{ResolverCatalog.AuthoritativePrefix}{f.Name}", f.EndPoint, "authoritative", f.Name, Authoritative: true))];
        if (servers.Count == 0)
        {
            LogNoAuthoritative(_logger, cutover.Name, host);
        }

        _authoritative[host] = (now, servers);
        return servers;
    }

    /// <summary>Says when the authoritative servers start or stop disagreeing, or all fall silent: once, not on every poll.</summary>
    private void LogAuthoritativeChanges(string cutover, PropagationSnapshot? previous, PropagationSnapshot snapshot)
    {
        if (snapshot.AuthoritativeDisagreement is { } disagreement && previous?.AuthoritativeDisagreement is null)
        {
            LogAuthoritativeDisagree(_logger, cutover, disagreement);
        }
        else if (snapshot.AuthoritativeDisagreement is null && previous?.AuthoritativeDisagreement is not null)
        {
            LogAuthoritativeAgree(_logger, cutover);
        }

        var wasUnreachable = previous?.AuthoritativeUnreachable ?? false;
        if (snapshot.AuthoritativeUnreachable && !wasUnreachable)
        {
            LogAuthoritativeUnreachable(_logger, cutover, snapshot.DescribeUnreachableAuthoritative());
        }
        else if (!snapshot.AuthoritativeUnreachable && wasUnreachable)
        {
            LogAuthoritativeReachable(_logger, cutover);
        }
    }

    /// <summary>
    /// A resolver that still answers the source after the TTL it gave last time has run out is not following its
    /// TTL (serve-stale, TTL floors): its ETA cannot be trusted, and operators should know.
    /// </summary>
    private PropagationSnapshot FlagTtlViolations(PropagationSnapshot snapshot)
    {
        var results = snapshot.Resolvers.Select(r =>
        {
            var key = (snapshot.Cutover, r.Resolver.Name);
            if (r.Answer is not (ResolverAnswer.Source or ResolverAnswer.Mixed))
            {
                _staleExpiry.TryRemove(key, out _);
                return r;
            }

            var flagged = _staleExpiry.TryGetValue(key, out var expiry) && r.CheckedAt > expiry + TimeSpan.FromSeconds(2)
                ? r with { Detail = string.Join("; ", new[] { r.Detail, "stale past its TTL (serve-stale or a TTL floor)" }.OfType<string>()) }
                : r;
            if (r.Ttl is { } ttl)
            {
                _staleExpiry[key] = r.CheckedAt + TimeSpan.FromSeconds(ttl);
            }

            return flagged;
        }).ToList();
        return snapshot with { Resolvers = results };
    }

    public override void Dispose()
    {
        _config.Changed -= OnConfigChanged;
        _wake.Dispose();
        _vantages.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Cutover {Cutover}: no authoritative name servers found for {Host}; the switch is then judged by the first resolver that answers the target")]
    private static partial void LogNoAuthoritative(ILogger logger, string cutover, string host);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "Resolver {Resolver} ({Address}): {Questions} questions a pass at most {MaxPerSecond} a second (Propagation:MaxQuestionsPerSecondPerResolver) take {CycleSeconds:0.#} s, longer than Propagation:Interval ({IntervalSeconds:0.#} s): its rows refresh every {CycleSeconds:0.#} s instead of bursting")]
    private static partial void LogStretched(ILogger logger, string resolver, string address, int questions, int maxPerSecond, double cycleSeconds, double intervalSeconds);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "Propagation listener {Listener} failed for cutover {Cutover}")]
    private static partial void LogListenerFailed(ILogger logger, string listener, string cutover, Exception exception);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Cutover {Cutover}: the authoritative servers disagree ({Disagreement}); until every server has the new zone, resolvers keep getting either answer")]
    private static partial void LogAuthoritativeDisagree(ILogger logger, string cutover, string disagreement);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Cutover {Cutover}: the authoritative servers agree again")]
    private static partial void LogAuthoritativeAgree(ILogger logger, string cutover);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Cutover {Cutover}: none of the authoritative servers answers ({Servers}); the switch and propagation are judged on the resolvers alone until one does (does a firewall let DNS out only to this site's resolvers?)")]
    private static partial void LogAuthoritativeUnreachable(ILogger logger, string cutover, string servers);

    [LoggerMessage(EventId = 405, Level = LogLevel.Information, Message = "Cutover {Cutover}: an authoritative server answers again; the switch is judged by the authoritative servers")]
    private static partial void LogAuthoritativeReachable(ILogger logger, string cutover);
}
