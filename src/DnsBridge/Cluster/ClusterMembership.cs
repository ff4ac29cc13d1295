using System.Security.Cryptography;
using System.Text.Json;
using DnsBridge.Configuration;
using DnsBridge.Jobs;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Cluster;

/// <summary>
/// This replica's place in the cluster, every second: a heartbeat with its config hash, the term it won when it
/// leads, and what the store says of the others (who is alive, who leads, who runs another configuration). Off the
/// request path; while the store cannot be reached the last view is kept and says so.
/// </summary>
internal sealed partial class ClusterMembership : BackgroundService
{
    /// <summary>A replica whose heartbeat is older than this is not counted as alive (it stopped, or cannot reach the store).</summary>
    public static readonly TimeSpan AliveWithin = TimeSpan.FromSeconds(10);

    private readonly ConfigMonitor _config;
    private readonly ILeadership _leadership;
    private readonly IClusterStore _store;
    private readonly IStateDatabase _database;
    private readonly DatabaseClock _time;
    private readonly ILogger<ClusterMembership> _logger;
    private readonly Gauge _replicasMetric;
    private readonly Counter _failures;
    private volatile ClusterStatus _status;
    private bool _termRecorded;
    private string _mismatchLogged = "";
    private (DnsBridgeConfig? Config, string Hash) _hashed = (null, "");

    public ClusterMembership(ConfigMonitor config, ILeadership leadership, IClusterStore store, IStateDatabase database, IMetricFactory metrics, CollectorRegistry registry,
        DatabaseClock time, ILogger<ClusterMembership> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(registry);
        _config = config;
        _leadership = leadership;
        _store = store;
        _database = database;
        _time = time;
        _logger = logger;
        _failures = JobFailures.Counter(metrics);
        _replicasMetric = metrics.CreateGauge("dnsbridge_cluster_replicas", "Replicas whose heartbeat reached the shared state store in the last 10 s (1 with SQLite).");

        // Read at scrape time: the gauge says what the election says now, not a second ago.
        var leaderMetric = metrics.CreateGauge("dnsbridge_cluster_leader", "1 on the replica that leads (runs the monitor, the drain state machine and the alert outbox), 0 elsewhere; always 1 with SQLite.");
        registry.AddBeforeCollectCallback(() => leaderMetric.Set(leadership.IsLeader ? 1 : 0));
        _status = new ClusterStatus(leadership.Replica, leadership.IsLeader ? leadership.Replica : null, [], true, null, []);
    }

    /// <summary>What the store said last (or, while it cannot be reached, what it said before, marked unreachable).</summary>
    public ClusterStatus Status => _status with { Leader = _leadership.IsLeader ? _leadership.Replica : _status.Leader };

    /// <summary>A short hash of what must be equal on every replica: the cutovers (hosts, targets, DNS and drain rules).</summary>
    public static string ConfigHash(DnsBridgeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var json = JsonSerializer.SerializeToUtf8Bytes(config.Cutovers, ConfigJsonContext.Default.IReadOnlyListCutoverConfig);
        return Convert.ToHexStringLower(SHA256.HashData(json))[..16];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The store is synchronous for SQLite and may wait on the network for PostgreSQL: on a state thread.
                await StateThreads.Run(Step);
                failures = 0;
            }
            catch (Exception e)
            {
                failures++;
                JobFailures.Record(_failures, _logger, "membership", e);
            }

            try
            {
                await Task.Delay(JobFailures.Backoff(LeaderElection.Interval, failures), _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One heartbeat and one read of the cluster (the loop runs it every second).</summary>
    public void Step()
    {
        // Heartbeats and liveness on the database's clock, which every replica reads alike.
        try
        {
            var sent = _time.LocalNow();
            if (_store.DatabaseNow() is { } database)
            {
                _time.Observe(sent, database, _time.LocalNow());
            }
        }
        catch (StateStoreException)
        {
            // Unreachable: the last correction stays; the reads below say the store is unreachable.
        }

        var now = _time.GetUtcNow();
        // The whole wave serialised and hashed every second was a visible share of an idle wave's CPU: once per configuration.
        var config = _config.Current;
        if (!ReferenceEquals(config, _hashed.Config))
        {
            _hashed = (config, ConfigHash(config));
        }

        var hash = _hashed.Hash;
        var me = _leadership.Replica;
        var wrote = _store.Heartbeat(me, hash, now);
        if (!_leadership.IsLeader)
        {
            _termRecorded = false;
        }
        else if (!_termRecorded)
        {
            // An elected leader recorded its term when it took office (LeaderElection); the one replica of SQLite here.
            _termRecorded = _leadership.Term is not null || _store.RecordLeader(me, now);
        }

        try
        {
            var replicas = _store.Replicas();
            var leader = _store.Leader();
            var alive = replicas.Where(r => r.Name == me || now - r.LastSeen <= AliveWithin).ToList();
            var mismatched = alive.Where(r => r.Name != me && r.ConfigHash != hash).Select(r => r.Name).ToList();
            var leaderName = leader is not null && alive.Any(r => r.Name == leader.Replica) ? leader.Replica : null;
            _status = new ClusterStatus(me, leaderName, replicas, wrote, wrote ? null : _database.Problem(), mismatched);
            _replicasMetric.Set(alive.Count);
            var key = string.Join(',', mismatched);
            if (key != _mismatchLogged)
            {
                _mismatchLogged = key;
                if (mismatched.Count > 0)
                {
                    LogMismatch(_logger, me, key);
                }
            }
        }
        catch (StateStoreException e)
        {
            _status = _status with { StoreReachable = false, StoreProblem = e.InnerException?.Message ?? e.Message };
        }
    }

    [LoggerMessage(EventId = 910, Level = LogLevel.Warning, Message = "Replica {Replica}: replicas {Others} run a different configuration (other cutovers, targets or drain rules); every replica of one DnsBridge must run the same one")]
    private static partial void LogMismatch(ILogger logger, string replica, string others);
}

/// <summary>The cluster as one replica sees it: <paramref name="Leader"/> is null while no live replica leads.</summary>
internal sealed record ClusterStatus(string Replica, string? Leader, IReadOnlyList<ReplicaRecord> Replicas, bool StoreReachable, string? StoreProblem, IReadOnlyList<string> ConfigMismatch);
