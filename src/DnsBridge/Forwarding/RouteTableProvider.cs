using DnsBridge.Configuration;
using DnsBridge.Phases;
using DnsBridge.Residual;

namespace DnsBridge.Forwarding;

/// <summary>
/// Keeps the current <see cref="RouteTable"/> in step with the configuration. A reload swaps the table atomically:
/// requests in flight finish on the generation they started with. A cutover whose target did not change keeps its
/// pooled connections; a replaced pool is disposed only after its longest request could have finished.
/// </summary>
internal sealed partial class RouteTableProvider : IDisposable
{
    private readonly ForwardingMetrics _metrics;
    private readonly ResidualAccounting _residual;
    private readonly NudgeRegistry _nudges;
    private readonly TargetHealthRegistry _health;
    private readonly TimeProvider _time;
    private readonly PhaseBoard? _phases;
    private readonly ILogger<RouteTableProvider> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, (TargetConfig Target, HttpMessageInvoker Invoker)> _invokers = new(StringComparer.Ordinal);
    private volatile RouteTable _current = RouteTable.Empty;

    public RouteTableProvider(ConfigMonitor config, ForwardingMetrics metrics, ResidualAccounting residual, NudgeRegistry nudges, TargetHealthRegistry health, TimeProvider time, ILogger<RouteTableProvider> logger,
        PhaseBoard? phases = null)
    {
        _phases = phases;
        _metrics = metrics;
        _residual = residual;
        _nudges = nudges;
        _health = health;
        _time = time;
        _logger = logger;
        Apply(config.Current);
        config.Changed += (_, next) => Apply(next);
    }

    public RouteTable Current => _current;

    private void Apply(DnsBridgeConfig config)
    {
        lock (_gate)
        {
            var invokers = new Dictionary<string, (TargetConfig, HttpMessageInvoker)>(StringComparer.Ordinal);
            var routes = new List<CutoverRoute>(config.Cutovers.Count);
            // tls and tcp cutovers are forwarded as connections only (Connections/): no HTTP listener routes to them.
            foreach (var cutover in config.Cutovers.Where(c => !c.Target.IsConnectionOnly))
            {
                if (!_invokers.Remove(cutover.Name, out var existing) || existing.Target != cutover.Target)
                {
                    if (existing.Invoker is not null)
                    {
                        Retire(existing.Invoker, existing.Target.Timeout);
                    }

                    existing = (cutover.Target, new HttpMessageInvoker(TargetHandlerFactory.Create(cutover.Target), disposeHandler: true));
                    if (cutover.Target.AllowInvalidCertificate)
                    {
                        LogInsecureTarget(_logger, cutover.Name, cutover.Target.Address);
                    }
                }

                invokers[cutover.Name] = existing;
                var source = cutover.SourceBackend is null ? null : Source(cutover, invokers);
                routes.Add(new CutoverRoute(cutover, existing.Invoker, _metrics.For(cutover.Name), _residual.For(cutover), _nudges.For(cutover.Name), _health.For(cutover.Name),
                    source, source is null ? null : _phases?.For(cutover.Name)));
            }

            foreach (var removed in _invokers.Values)
            {
                Retire(removed.Invoker, removed.Target.Timeout);
            }

            _metrics.CertificateValidation(config.Cutovers.Select(c => (c.Name, c.Target.AllowInvalidCertificate)));
            _invokers = invokers;
            _current = new RouteTable(routes, new ClientAddressResolver(config.TrustedProxies));
        }
    }

    /// <summary>The source backend's pool, kept across reloads while its settings stay (keyed apart from the targets').</summary>
    private SourceUpstream Source(CutoverConfig cutover, Dictionary<string, (TargetConfig, HttpMessageInvoker)> invokers)
    {
        var target = cutover.SourceBackend!.AsTarget(cutover.Target);
        var key = SourceKeyPrefix + cutover.Name;
        if (!_invokers.Remove(key, out var existing) || existing.Target != target)
        {
            if (existing.Invoker is not null)
            {
                Retire(existing.Invoker, existing.Target.Timeout);
            }

            existing = (target, new HttpMessageInvoker(TargetHandlerFactory.Create(target), disposeHandler: true));
        }

        invokers[key] = existing;
        return new SourceUpstream(cutover, target, existing.Invoker);
    }

    // A cutover name never contains a space: the source pools cannot collide with a cutover's.
    private const string SourceKeyPrefix = "source ";

    private void Retire(HttpMessageInvoker invoker, TimeSpan longestRequest)
    {
        // Requests that started on the old generation still hold this invoker; give them their full timeout.
        _ = Task.Delay(longestRequest + TimeSpan.FromSeconds(5), _time).ContinueWith(_ => invoker.Dispose(), TaskScheduler.Default);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, invoker) in _invokers.Values)
            {
                invoker.Dispose();
            }

            _invokers.Clear();
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Cutover {Cutover}: AllowInvalidCertificate is on, the certificate of target {Address} is NOT validated. Use only for pre-cutover tests.")]
    private static partial void LogInsecureTarget(ILogger logger, string cutover, string address);
}
