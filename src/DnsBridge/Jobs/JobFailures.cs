using Prometheus;

namespace DnsBridge.Jobs;

/// <summary>
/// What a background job (monitor, drain detector, outbox, residual flush, target health, membership) does with an exception nobody
/// expected: log it with the job's name, count it in <c>dnsbridge_background_failures_total{job}</c>, and go on with
/// the next iteration. Forwarding never stops because a side job failed, and a job that fails at every iteration
/// (a poisoned outbox row, a hostile remote answer) shows in the log and the metric instead of stopping the process
/// at every restart.
/// </summary>
internal static partial class JobFailures
{
    public const string MetricName = "dnsbridge_background_failures_total";

    /// <summary>The counter (one per registry; every job shares it, labelled by job).</summary>
    public static Counter Counter(IMetricFactory metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.CreateCounter(MetricName, "Iterations of a background job (monitor, drain, outbox, residual_flush, target_health, membership, election) that failed with an unexpected error; the job goes on with the next one.", ["job"]);
    }

    /// <summary>Logs and counts one failed iteration of <paramref name="job"/>.</summary>
    public static void Record(Counter? counter, ILogger logger, string job, Exception exception)
    {
        counter?.WithLabels(job).Inc();
        LogFailed(logger, job, exception.GetType().Name, exception.Message, exception);
    }

    /// <summary>
    /// How long a job waits after <paramref name="failures"/> failed iterations in a row before the next one: its
    /// usual interval at first, then doubling up to a minute, so a job failing every time neither spins nor logs a line per second.
    /// </summary>
    public static TimeSpan Backoff(TimeSpan interval, int failures)
    {
        if (failures <= 1)
        {
            return interval;
        }

        var doubled = interval.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 10));
        return TimeSpan.FromSeconds(Math.Min(Math.Max(doubled, interval.TotalSeconds), 60));
    }

    [LoggerMessage(EventId = 950, Level = LogLevel.Error, Message = "Background job {Job} failed ({ExceptionType}: {Reason}); it goes on with the next iteration, forwarding is not affected")]
    private static partial void LogFailed(ILogger logger, string job, string exceptionType, string reason, Exception exception);
}
