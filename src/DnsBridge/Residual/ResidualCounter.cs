using System.Net;
using Prometheus;

namespace DnsBridge.Residual;

/// <summary>
/// Residual traffic of one cutover. It outlives configuration reloads (it is keyed by cutover name), so counts
/// are never reset by an edit. Lock-free on the hot path. Its summaries (minutes, clients, user agents, sketches)
/// take memory as traffic arrives, up to their bounds, so a cutover that sees none costs little more than its metric
/// series: a wave of hundreds of idle cutovers stays small.
/// </summary>
internal sealed class ResidualCounter
{
    private readonly Counter.Child _requestsMetric;
    private readonly Counter.Child _connectionsMetric;
    private readonly Gauge.Child _lastMetric;
    private readonly Dictionary<string, Counter.Child> _excludedMetric;
    private readonly TimeProvider _time;
    private long _requests;
    private long _connections;
    private long _excluded;
    private long _restored;
    private readonly Lock _restoreGate = new();
    private long _lastResidualTicks;
    private volatile ExclusionRules _rules;

    internal ResidualCounter(string cutover, ExclusionRules rules, ResidualMetrics metrics, TimeProvider time)
    {
        Cutover = cutover;
        _rules = rules;
        _time = time;
        _requestsMetric = metrics.Requests.WithLabels(cutover);
        _requestsMetric.Publish();
        _connectionsMetric = metrics.Connections.WithLabels(cutover);
        _connectionsMetric.Publish();
        _lastMetric = metrics.LastRequest.WithLabels(cutover);
        _lastMetric.Publish();
        _excludedMetric = ExclusionRules.Reasons.ToDictionary(r => r, r => metrics.Excluded.WithLabels(cutover, r), StringComparer.Ordinal);
        foreach (var child in _excludedMetric.Values)
        {
            child.Publish();
        }
    }

    public string Cutover { get; }

    /// <summary>Residual requests and connections together: what the drain rules count.</summary>
    public long Residual => Interlocked.Read(ref _requests) + Interlocked.Read(ref _connections);

    public long Requests => Interlocked.Read(ref _requests);

    public long Connections => Interlocked.Read(ref _connections);

    public long Excluded => Interlocked.Read(ref _excluded);

    /// <summary>
    /// What this process counted: the total less what <see cref="Restore"/> added (counted by an earlier process, already
    /// in the history). Read under the lock Restore takes, so a restore never shows half done; recording takes no lock.
    /// </summary>
    public long CountedHere
    {
        get
        {
            lock (_restoreGate)
            {
                return Residual - Interlocked.Read(ref _restored);
            }
        }
    }

    /// <summary>When the last residual request arrived, or null if none has since start (or since restored state).</summary>
    public DateTimeOffset? LastResidualAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastResidualTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    internal void UpdateRules(ExclusionRules rules) => _rules = rules;

    /// <summary>Per minute over the last hour, for rates and the status page chart.</summary>
    public MinuteRing Minutes { get; } = new();

    /// <summary>
    /// Who still arrives: the heaviest client addresses (Space-Saving, 10,000 slots; newcomers keep being counted), each
    /// tagged with its last user agent as <see cref="UserAgentKey"/> caps it (at most 5 MB for a full summary).
    /// </summary>
    public SpaceSaving<IPAddress> Clients { get; } = new();

    /// <summary>
    /// The clients that open the most residual connections (passthrough, port forwards), apart from
    /// <see cref="Clients"/> which counts both kinds: one long-lived connection and a thousand requests are not alike.
    /// </summary>
    public SpaceSaving<IPAddress> ConnectionClients { get; } = new(capacity: 1_000);

    /// <summary>The heaviest user agents, each capped by <see cref="UserAgentKey"/> so a key is at most 256 characters.</summary>
    public SpaceSaving<string> UserAgents { get; } = new(comparer: StringComparer.Ordinal);

    /// <summary>Every client address, for the distinct count once <see cref="Clients"/> cannot hold them all.</summary>
    public DistinctWindow ClientsLastHour { get; } = new();

    /// <summary>
    /// Distinct clients in the last hour: exact (counted in <see cref="Clients"/>) while it has never had to let a
    /// client go; estimated by <see cref="ClientsLastHour"/> afterwards.
    /// </summary>
    public (long Count, bool Estimated) DistinctClients(DateTimeOffset now) =>
        Clients.Evictions == 0 ? (Clients.DistinctSince((now - TimeSpan.FromHours(1)).UtcTicks), false) : (ClientsLastHour.Estimate(now.UtcTicks), true);

    /// <summary>
    /// Continues counting from what the state store remembers, so a restart does not reset the totals: this
    /// replica's stored requests and connections (a drain status from before replicas had rows says only the total,
    /// and before connection forwarding every one was a request).
    /// </summary>
    public void Restore(long requests, long connections, DateTimeOffset? lastResidualAt)
    {
        lock (_restoreGate)
        {
            var missingRequests = requests - Requests;
            if (missingRequests > 0)
            {
                Interlocked.Add(ref _requests, missingRequests);
                Interlocked.Add(ref _restored, missingRequests);
                _requestsMetric.Inc(missingRequests);
            }

            var missingConnections = connections - Connections;
            if (missingConnections > 0)
            {
                Interlocked.Add(ref _connections, missingConnections);
                Interlocked.Add(ref _restored, missingConnections);
                _connectionsMetric.Inc(missingConnections);
            }
        }

        if (lastResidualAt is { } last && last.UtcTicks > Interlocked.Read(ref _lastResidualTicks))
        {
            Interlocked.Exchange(ref _lastResidualTicks, last.UtcTicks);
            _lastMetric.Set(last.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    /// <summary>Counts one arrival; returns whether it is residual (false when excluded, with the reason counted).</summary>
    public bool Record(in ResidualObservation observation)
    {
        var reason = _rules.Match(observation.Path, observation.UserAgent, observation.Client);
        if (reason is not null)
        {
            Interlocked.Increment(ref _excluded);
            _excludedMetric[reason].Inc();
            return false;
        }

        var now = _time.GetUtcNow();
        if (observation.Kind == ResidualKind.Connection)
        {
            Interlocked.Increment(ref _connections);
            _connectionsMetric.Inc();
        }
        else
        {
            Interlocked.Increment(ref _requests);
            _requestsMetric.Inc();
        }

        Interlocked.Exchange(ref _lastResidualTicks, now.UtcTicks);
        Minutes.Add(now.ToUnixTimeSeconds() / 60);

        // Capped here, after the exclusion rules have matched the whole agent; the same key is the client's last agent.
        var agent = string.IsNullOrEmpty(observation.UserAgent) ? null : UserAgentKey.Of(observation.UserAgent);
        if (observation.Client is { } client)
        {
            Clients.Touch(client, now.UtcTicks, agent);
            ClientsLastHour.Add(KeyHash.Of(client), now.UtcTicks);
            if (observation.Kind == ResidualKind.Connection)
            {
                ConnectionClients.Touch(client, now.UtcTicks);
            }
        }

        if (agent is not null)
        {
            UserAgents.Touch(agent, now.UtcTicks);
        }

        _lastMetric.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        return true;
    }
}
