using Prometheus;

namespace DnsBridge.Propagation;

/// <summary>The dnsbridge_dns_* metrics. Resolver and region labels only ever come from the configured resolver set.</summary>
internal sealed class PropagationMetrics
{
    private static readonly string[] Answers = ["target", "source", "mixed", "other", "error"];
    private readonly Gauge _answer;
    private readonly Gauge _ttl;
    private readonly Gauge _ratio;
    private readonly Gauge _eta;
    private readonly Gauge _disagreement;
    private readonly Gauge _unreachable;
    private readonly Histogram _duration;
    private readonly Counter _failures;

    public PropagationMetrics(IMetricFactory factory)
    {
        _answer = factory.CreateGauge("dnsbridge_dns_resolver_answer", "1 for the current answer of a resolver for a cutover (target, source, mixed, other, error).", ["cutover", "resolver", "region", "vantage", "answer"]);
        _ttl = factory.CreateGauge("dnsbridge_dns_answer_ttl_seconds", "TTL of the last answer of a resolver for a cutover.", ["cutover", "resolver"]);
        _ratio = factory.CreateGauge("dnsbridge_dns_propagation_ratio", "Share of answering resolvers whose answer is the target (0..1).", ["cutover"]);
        _eta = factory.CreateGauge("dnsbridge_dns_propagation_eta_seconds", "Seconds until the last stale cached answer must have expired (0: none stale).", ["cutover"]);
        _disagreement = factory.CreateGauge("dnsbridge_dns_authoritative_disagreement", "1 while the zone's authoritative servers give different answers for a cutover (a secondary behind on zone transfers).", ["cutover"]);
        _unreachable = factory.CreateGauge("dnsbridge_dns_authoritative_unreachable", "1 while authoritative servers are asked for a cutover and none answers (the resolvers alone then decide the switch).", ["cutover"]);
        _duration = factory.CreateHistogram("dnsbridge_dns_query_duration_seconds", "Duration of one DNS question to one resolver.",
            new HistogramConfiguration { LabelNames = ["resolver"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5] });
        _failures = factory.CreateCounter("dnsbridge_dns_query_failures_total", "DNS questions without a usable answer, by resolver and reason.", ["resolver", "reason"]);
    }

    public void Observe(ResolverInfo resolver, DnsObservation observation)
    {
        _duration.WithLabels(resolver.Name).Observe(observation.Latency.TotalSeconds);
        if (observation.Error is { } reason)
        {
            _failures.WithLabels(resolver.Name, reason).Inc();
        }
    }

    public void Record(PropagationSnapshot snapshot)
    {
        foreach (var result in snapshot.Resolvers)
        {
            var current = Label(result.Answer);
            foreach (var answer in Answers)
            {
                _answer.WithLabels(snapshot.Cutover, result.Resolver.Name, result.Resolver.Region, result.Resolver.Vantage, answer).Set(answer == current ? 1 : 0);
            }

            // The TTL series has no vantage label: a remote row must not overwrite the local one of the same name.
            if (result.Resolver.Vantage == ResolverInfo.LocalVantage)
            {
                _ttl.WithLabels(snapshot.Cutover, result.Resolver.Name).Set(result.Ttl ?? 0);
            }
        }

        _ratio.WithLabels(snapshot.Cutover).Set(snapshot.Ratio);
        _eta.WithLabels(snapshot.Cutover).Set(snapshot.EtaSeconds);
        _disagreement.WithLabels(snapshot.Cutover).Set(snapshot.AuthoritativeDisagreement is null ? 0 : 1);
        _unreachable.WithLabels(snapshot.Cutover).Set(snapshot.AuthoritativeUnreachable ? 1 : 0);
    }

    /// <summary>Drops the series of a cutover that left the configuration (so dashboards do not show it stuck).</summary>
    public void Forget(string cutover, IEnumerable<ResolverInfo> resolvers)
    {
        foreach (var resolver in resolvers)
        {
            foreach (var answer in Answers)
            {
                _answer.RemoveLabelled(cutover, resolver.Name, resolver.Region, resolver.Vantage, answer);
            }

            _ttl.RemoveLabelled(cutover, resolver.Name);
        }

        _ratio.RemoveLabelled(cutover);
        _eta.RemoveLabelled(cutover);
        _disagreement.RemoveLabelled(cutover);
        _unreachable.RemoveLabelled(cutover);
    }

    public static string Label(ResolverAnswer answer) => answer switch
    {
        ResolverAnswer.Target => "target",
        ResolverAnswer.Source => "source",
        ResolverAnswer.Mixed => "mixed",
        ResolverAnswer.Other => "other",
        _ => "error",
    };
}
