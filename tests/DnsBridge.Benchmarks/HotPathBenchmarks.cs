using System.Net;
using BenchmarkDotNet.Attributes;
using DnsBridge.Configuration;
using DnsBridge.Forwarding;
using DnsBridge.Residual;
using Microsoft.Extensions.Primitives;
using Prometheus;

namespace DnsBridge.Benchmarks;

/// <summary>The per-request pieces of the forwarder: each must cost nanoseconds and allocate nothing.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HotPathBenchmarks
{
    private RouteTable _routes = null!;
    private ExclusionRules _rules = null!;
    private ClientAddressResolver _clients = null!;
    private ResidualCounter _counter = null!;
    private readonly IPAddress _peer = IPAddress.Parse("10.1.2.3");
    private readonly IPAddress _client = IPAddress.Parse("203.0.113.9");
    private readonly StringValues _forwardedFor = new("203.0.113.9, 10.0.0.5");

    [GlobalSetup]
    public void Setup()
    {
        var exclude = new ExcludeConfig { Paths = ["/healthz", "/static/*"], UserAgents = ["ELB-HealthChecker*", "kube-probe/*"], ClientCidrs = ["10.0.0.0/8", "192.168.0.0/16"] };
        var cutovers = Enumerable.Range(0, 20).Select(i => new CutoverConfig
        {
            Name = $"c{i}",
            Hosts = [$"app{i}.example.com", $"www.app{i}.example.com"],
            Target = new TargetConfig { Address = "192.0.2.1", Port = 80, Scheme = "http" },
            Drain = new DrainConfig { Exclude = exclude },
        }).ToList();
        var metrics = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        var forwarding = new ForwardingMetrics(metrics);
        var accounting = new ResidualAccounting(new ResidualMetrics(metrics), TimeProvider.System);
        var nudges = new NudgeRegistry(metrics, TimeProvider.System);
        var health = new TargetHealthRegistry();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        _routes = new RouteTable(
            cutovers.Select(c => new CutoverRoute(c, invoker, forwarding.For(c.Name), accounting.For(c), nudges.For(c.Name), health.For(c.Name))),
            new ClientAddressResolver(DnsBridgeConfig.DefaultTrustedProxies));
        _rules = new ExclusionRules(exclude);
        _clients = new ClientAddressResolver(DnsBridgeConfig.DefaultTrustedProxies);
        _counter = accounting.For(cutovers[7]);
    }

    [Benchmark]
    public bool HostMatch() => _routes.TryMatch("WWW.App17.example.com:8080", out _);

    [Benchmark]
    public bool HostMiss() => _routes.TryMatch("unknown.example.org", out _);

    [Benchmark]
    public string? ExclusionNoMatch() => _rules.Match("/products/42", "Mozilla/5.0 (X11; Linux x86_64)", _client);

    [Benchmark]
    public string? ExclusionHealthCheck() => _rules.Match("/healthz", "ELB-HealthChecker/2.0", _peer);

    [Benchmark]
    public IPAddress? ClientBehindTrustedProxy() => _clients.Resolve(_peer, _forwardedFor);

    [Benchmark]
    public bool RecordResidual() => _counter.Record(ResidualObservation.Request("/products/42", "Mozilla/5.0 (X11; Linux x86_64)", _client));
}
