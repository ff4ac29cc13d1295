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
public sealed class ResidualHistoryWriter(ResidualAccounting residual, IResidualHistory history, ClusterResidual cluster, TimeProvider time, IMetricFactory metrics,
    ILogger<ResidualHistoryWriter> logger) : IHostedService, IDisposable
{
    private readonly Counter _failures = JobFailures.Counter(metrics);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _flushed = new(StringComparer.Ordinal);
    private System.Threading.ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The flush writes and reads the store: on a state thread, not on the timer's thread-pool thread.
        _timer = time.CreateTimer(_ => _ = StateThreads.Run(Flush), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Waits for a flush still running, so the last one is not skipped and none runs after the store closes.
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        lock (_gate)
        {
            FlushAll();
        }
    }

    /// <summary>One write of every cutover's new counts into the current minute. Not overlapped by a slow store.</summary>
    public void Flush()
    {
        if (!_gate.TryEnter())
        {
            return;
        }

        try
        {
            FlushAll();
        }
        catch (Exception e)
        {
            // Only a write that succeeded moves the mark: the next flush writes what this one did not.
            JobFailures.Record(_failures, logger, "residual_flush", e);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private void FlushAll()
    {
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
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

        if (cluster.Save(time.GetUtcNow()))
        {
            cluster.Refresh();
        }
    }

    public void Dispose() => _timer?.Dispose();
}
