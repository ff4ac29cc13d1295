using Prometheus;

namespace DnsBridge.Forwarding;

/// <summary>
/// The forwarder's metrics. Labelled children are resolved once per cutover (<see cref="For"/>) and kept, because
/// resolving them per request costs measurably on the hot path.
/// </summary>
internal sealed class ForwardingMetrics
{
    private static readonly double[] DurationBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100];

    private readonly Counter _forwarded;
    private readonly Histogram _duration;
    private readonly Counter _targetErrors;
    private readonly Counter _rejected;
    private readonly Gauge _unvalidated;

    public ForwardingMetrics(IMetricFactory factory)
    {
        _forwarded = factory.CreateCounter("dnsbridge_forwarded_requests_total", "Requests forwarded to the target, by cutover and status class.", ["cutover", "code"]);
        _duration = factory.CreateHistogram("dnsbridge_forward_duration_seconds", "Time from request arrival to the end of the forwarded response.",
            new HistogramConfiguration { LabelNames = ["cutover"], Buckets = DurationBuckets });
        _targetErrors = factory.CreateCounter("dnsbridge_target_errors_total", "Forwards that failed at the target, by cutover and reason.", ["cutover", "reason"]);
        _rejected = factory.CreateCounter("dnsbridge_rejected_requests_total", "Requests answered locally and never forwarded, by reason.", ["reason"]);
        _unvalidated = factory.CreateGauge("dnsbridge_target_certificate_unvalidated", "1 while a cutover forwards with Target.AllowInvalidCertificate on (the target's certificate is not checked).", ["cutover"]);
        foreach (var reason in RejectReasons)
        {
            _rejected.WithLabels(reason).Publish();
        }

        UnknownHost = _rejected.WithLabels("unknown_host");
        ConnectMethod = _rejected.WithLabels("connect");
        Loop = _rejected.WithLabels("loop");
    }

    public static readonly IReadOnlyList<string> RejectReasons = ["unknown_host", "connect", "loop"];

    public Counter.Child UnknownHost { get; }

    public Counter.Child ConnectMethod { get; }

    /// <summary>Requests that came back through this instance (two instances forwarding to each other), answered 508.</summary>
    public Counter.Child Loop { get; }

    /// <summary>Sets the insecure-target flag of every configured cutover and removes the series of cutovers gone.</summary>
    public void CertificateValidation(IEnumerable<(string Cutover, bool Disabled)> cutovers)
    {
        var current = cutovers.ToList();
        foreach (var labels in _unvalidated.GetAllLabelValues().Where(l => current.All(c => c.Cutover != l[0])).ToList())
        {
            _unvalidated.RemoveLabelled(labels);
        }

        foreach (var (cutover, disabled) in current)
        {
            _unvalidated.WithLabels(cutover).Set(disabled ? 1 : 0);
        }
    }

    /// <summary>Series of one cutover, published at 0 so "no traffic" is visible.</summary>
    public CutoverSeries For(string cutover)
    {
        // The contract's classes are 2xx-5xx, published at 0; 1xx (a WebSocket's 101) shows once one is forwarded.
        var codes = new Counter.Child[6];
        for (var i = 2; i <= 5; i++)
        {
            codes[i] = _forwarded.WithLabels(cutover, $"{i}xx");
            codes[i].Publish();
        }

        codes[0] = codes[5];
        var errors = new Dictionary<string, Counter.Child>(StringComparer.Ordinal);
        foreach (var reason in TargetHandlerFactory.Reasons)
        {
            errors[reason] = _targetErrors.WithLabels(cutover, reason);
            errors[reason].Publish();
        }

        var duration = _duration.WithLabels(cutover);
        duration.Publish();
        return new CutoverSeries(codes, () => _forwarded.WithLabels(cutover, "1xx"), duration, errors);
    }

    internal sealed class CutoverSeries(Counter.Child[] codes, Func<Counter.Child> informational, Histogram.Child duration, IReadOnlyDictionary<string, Counter.Child> targetErrors)
    {
        private Counter.Child? _informational;

        public void Forwarded(int statusCode, double seconds)
        {
            var index = statusCode / 100;
            (index == 1 ? _informational ??= informational() : codes[index is >= 2 and <= 5 ? index : 0]).Inc();
            duration.Observe(seconds);
        }

        public void TargetError(string reason) => targetErrors[reason].Inc();
    }
}
