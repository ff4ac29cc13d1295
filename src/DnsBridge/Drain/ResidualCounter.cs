using System.Net;
using DnsBridge.Configuration;
using Prometheus;

namespace DnsBridge.Drain;

/// <summary>
/// Residual traffic of one cutover. It outlives configuration reloads (it is keyed by cutover name), so counts
/// are never reset by an edit. Lock-free on the hot path.
/// </summary>
public sealed class ResidualCounter
{
    private readonly Counter.Child _residualMetric;
    private readonly Gauge.Child _lastMetric;
    private readonly Dictionary<string, Counter.Child> _excludedMetric;
    private readonly TimeProvider _time;
    private long _residual;
    private long _excluded;
    private long _lastResidualTicks;
    private volatile ExclusionRules _rules;

    internal ResidualCounter(string cutover, ExclusionRules rules, Counter residual, Counter excluded, Gauge last, TimeProvider time)
    {
        Cutover = cutover;
        _rules = rules;
        _time = time;
        _residualMetric = residual.WithLabels(cutover);
        _residualMetric.Publish();
        _lastMetric = last.WithLabels(cutover);
        _lastMetric.Publish();
        _excludedMetric = ExclusionRules.Reasons.ToDictionary(r => r, r => excluded.WithLabels(cutover, r), StringComparer.Ordinal);
        foreach (var child in _excludedMetric.Values)
        {
            child.Publish();
        }
    }

    public string Cutover { get; }

    public long Residual => Interlocked.Read(ref _residual);

    public long Excluded => Interlocked.Read(ref _excluded);

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

    /// <summary>Who still arrives: residual requests per client address (bounded).</summary>
    public CappedCounter<IPAddress> Clients { get; } = new();

    /// <summary>Residual requests per user agent (bounded).</summary>
    public CappedCounter<string> UserAgents { get; } = new(StringComparer.Ordinal);

    /// <summary>Continues counting from what the state store remembers, so a restart does not reset the totals.</summary>
    public void Restore(long total, DateTimeOffset? lastResidualAt)
    {
        var missing = total - Interlocked.Read(ref _residual);
        if (missing > 0)
        {
            Interlocked.Add(ref _residual, missing);
            _residualMetric.Inc(missing);
        }

        if (lastResidualAt is { } last && last.UtcTicks > Interlocked.Read(ref _lastResidualTicks))
        {
            Interlocked.Exchange(ref _lastResidualTicks, last.UtcTicks);
            _lastMetric.Set(last.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    /// <summary>Counts one request; returns whether it is residual (false when excluded, with the reason counted).</summary>
    public bool Record(string path, string? userAgent, IPAddress? client)
    {
        var reason = _rules.Match(path, userAgent, client);
        if (reason is not null)
        {
            Interlocked.Increment(ref _excluded);
            _excludedMetric[reason].Inc();
            return false;
        }

        var now = _time.GetUtcNow();
        Interlocked.Increment(ref _residual);
        Interlocked.Exchange(ref _lastResidualTicks, now.UtcTicks);
        Minutes.Add(now.ToUnixTimeSeconds() / 60);
        if (client is not null)
        {
            Clients.Touch(client, now.UtcTicks);
        }

        if (!string.IsNullOrEmpty(userAgent))
        {
            UserAgents.Touch(userAgent, now.UtcTicks);
        }

        _residualMetric.Inc();
        _lastMetric.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        return true;
    }
}

/// <summary>The residual counters of every cutover, by name.</summary>
public sealed class ResidualAccounting
{
    private readonly Counter _residual;
    private readonly Counter _excluded;
    private readonly Gauge _last;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ResidualCounter> _counters = new(StringComparer.Ordinal);

    public ResidualAccounting(IMetricFactory factory, TimeProvider time)
    {
        _time = time;
        _residual = factory.CreateCounter("dnsbridge_residual_requests_total", "Residual requests (forwarded, not excluded) by cutover.", ["cutover"]);
        _excluded = factory.CreateCounter("dnsbridge_excluded_requests_total", "Forwarded requests excluded from residual traffic, by cutover and reason.", ["cutover", "reason"]);
        _last = factory.CreateGauge("dnsbridge_residual_last_request_timestamp_seconds", "Unix time of the last residual request, by cutover (0: none yet).", ["cutover"]);
    }

    public ResidualCounter For(CutoverConfig cutover)
    {
        var rules = new ExclusionRules(cutover.Drain.Exclude);
        var counter = _counters.GetOrAdd(cutover.Name, name => new ResidualCounter(name, rules, _residual, _excluded, _last, _time));
        counter.UpdateRules(rules);
        return counter;
    }

    public IReadOnlyCollection<ResidualCounter> All => [.. _counters.Values];

    public bool TryGet(string cutover, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ResidualCounter? counter) =>
        _counters.TryGetValue(cutover, out counter);
}
