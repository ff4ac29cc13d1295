using DnsBridge.Jobs;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Residual;

/// <summary>
/// Writes what each cutover counted into the per-minute residual history and this replica's running totals into
/// the cluster rows (<see cref="ClusterResidual"/>), then reads the other replicas' totals: once a second and on the
/// way out, off the request path. Only a write that succeeded moves the mark: while the store fails (read-only,
/// full, locked, unreachable) the counts accumulate in the counters (one number per cutover and kind, whatever
/// the outage's length) and land in the minute the store comes back, instead of being lost.
/// </summary>
internal sealed class ResidualHistoryWriter(ResidualAccounting residual, IResidualHistory history, ClusterResidual cluster, TimeProvider time, IMetricFactory metrics,
    ILogger<ResidualHistoryWriter> logger) : PeriodicJob("residual_flush", time, JobFailures.Counter(metrics), logger)
{
    private readonly Dictionary<string, long> _flushed = new(StringComparer.Ordinal);

    /// <summary>What was counted since the last flush is written on the way out.</summary>
    protected override bool IterateOnStop => true;

    /// <summary>
    /// One write of every cutover's new counts into the current minute. Whatever an iteration threw, only a write that
    /// succeeded moved the mark: the next one writes what this one did not.
    /// </summary>
    protected override void Iterate()
    {
        var minute = Time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var pending = new List<(ResidualMinute Bucket, long Mark)>();
        foreach (var counter in residual.Counters)
        {
            var counted = counter.CountedHere;
            var flushed = _flushed.GetValueOrDefault(counter.Cutover);
            if (counted != flushed)
            {
                pending.Add((new ResidualMinute(counter.Cutover, minute, counted - flushed), counted));
            }
        }

        if (pending.Count > 0 && history.Add(pending.Select(p => p.Bucket)))
        {
            foreach (var (bucket, mark) in pending)
            {
                _flushed[bucket.Cutover] = mark;
            }
        }

        if (cluster.Save(Time.GetUtcNow()))
        {
            cluster.Refresh();
        }
    }
}
