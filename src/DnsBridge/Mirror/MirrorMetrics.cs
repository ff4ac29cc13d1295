using Prometheus;

namespace DnsBridge.Mirror;

/// <summary>
/// <c>dnsbridge_mirror_requests_total{cutover,outcome}</c> and <c>dnsbridge_mirror_duration_seconds{cutover,side}</c>.
/// Children are resolved once per cutover and published at 0.
/// </summary>
internal sealed class MirrorMetrics
{
    private static readonly double[] DurationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100];

    private readonly Counter _requests;
    private readonly Histogram _duration;

    public MirrorMetrics(IMetricFactory factory)
    {
        _requests = factory.CreateCounter("dnsbridge_mirror_requests_total", "Copies of rehearsal requests sent to the target, by cutover and outcome of the comparison.", ["cutover", "outcome"]);
        _duration = factory.CreateHistogram("dnsbridge_mirror_duration_seconds", "Time to the whole answer of a mirrored request, by side (source: the client's request, target: its copy).",
            new HistogramConfiguration { LabelNames = ["cutover", "side"], Buckets = DurationBuckets });
    }

    public static readonly IReadOnlyList<string> Sides = ["source", "target"];

    public Series For(string cutover)
    {
        var outcomes = MirrorOutcomes.Labels.Select(o => _requests.WithLabels(cutover, o)).ToArray();
        foreach (var o in outcomes)
        {
            o.Publish();
        }

        var source = _duration.WithLabels(cutover, "source");
        var target = _duration.WithLabels(cutover, "target");
        source.Publish();
        target.Publish();
        return new Series(outcomes, source, target);
    }

    internal sealed class Series(Counter.Child[] outcomes, Histogram.Child source, Histogram.Child target)
    {
        public void Count(MirrorOutcome outcome) => outcomes[(int)outcome].Inc();

        public void Duration(TimeSpan source1, TimeSpan? target1)
        {
            source.Observe(source1.TotalSeconds);
            if (target1 is { } t)
            {
                target.Observe(t.TotalSeconds);
            }
        }
    }
}
