using DnsBridge.Jobs;
using Prometheus;

namespace DnsBridge.Mirror;

/// <summary>
/// Stores this replica's mirror results and reads the other replicas' (<see cref="ClusterMirror"/>): every
/// <see cref="Every"/> and on the way out, off the request path. A rehearsal copies a share of requests, so its
/// results change many times a second; writing them every few seconds keeps the store's load independent of the
/// traffic, and a restart that is not a graceful stop loses at most those seconds.
/// </summary>
internal sealed class MirrorResultsWriter(ClusterMirror cluster, TimeProvider time, IMetricFactory metrics, ILogger<MirrorResultsWriter> logger)
    : PeriodicJob("mirror_flush", time, JobFailures.Counter(metrics), logger)
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    private long? _last;

    protected override bool IterateOnStop => true;

    protected override void Iterate()
    {
        var now = Time.GetTimestamp();
        if (!Stopping && _last is { } last && Time.GetElapsedTime(last, now) < Every)
        {
            return;
        }

        _last = now;
        if (cluster.Save(Time.GetUtcNow()) && !Stopping)
        {
            cluster.Refresh();
        }
    }
}
