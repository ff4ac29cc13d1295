using System.Diagnostics;
using System.Globalization;
using DnsBridge.Configuration;
using DnsBridge.Propagation;

namespace DnsBridge.Benchmarks;

/// <summary>
/// One propagation poll after another, through the monitor's own poller and querier, over a resolver set and a
/// list of host names served by loopback DNS servers: queries per second, cycle time, managed heap and working set
/// after every cycle. Run by tests/bench/propagation.sh, which puts dnsperf's numbers beside it.
/// </summary>
internal static class PollingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
            .ToDictionary(p => p.a[2..], p => p.i + 1 < args.Length ? args[p.i + 1] : "", StringComparer.Ordinal);
        string Get(string key, string fallback) => options.TryGetValue(key, out var v) ? v : fallback;
        var servers = Get("servers", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s =>
            ConfigParsers.TryParseEndpoint(s, 53, out var endpoint) ? endpoint : throw new ArgumentException($"--servers: {s} is not IP:PORT")).ToList();
        if (servers.Count == 0)
        {
            await Console.Error.WriteLineAsync("usage: polling --servers IP:PORT,... [--resolvers 40] [--hosts 100] [--cycles 5] [--concurrency 32] [--timeout 2]");
            return 2;
        }

        int resolverCount = int.Parse(Get("resolvers", "40"), CultureInfo.InvariantCulture), hostCount = int.Parse(Get("hosts", "100"), CultureInfo.InvariantCulture);
        int cycles = int.Parse(Get("cycles", "5"), CultureInfo.InvariantCulture), concurrency = int.Parse(Get("concurrency", "32"), CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(double.Parse(Get("timeout", "2"), CultureInfo.InvariantCulture));

        // As many resolvers as a global preset has, spread over the loopback servers (each keeps its own name).
        var resolvers = Enumerable.Range(0, resolverCount)
            .Select(i => new ResolverInfo($"bench-{i}", servers[i % servers.Count], "bench", "bench", Authoritative: false)).ToList();
        var hosts = Enumerable.Range(0, hostCount).Select(i => $"h{i}.bench.test").ToList();
        var classifier = new AnswerClassifier(["127.0.0.2"], [], ["127.0.0.1"]);
        var errors = 0;
        var poller = new PropagationPoller(new DnsQuerier(), TimeProvider.System) { Observed = (_, o) => { if (o.Error is not null) { Interlocked.Increment(ref errors); } } };
        using var gate = new SemaphoreSlim(concurrency);

        var queries = resolverCount * hostCount;
        var times = new List<double>();
        Console.WriteLine($"polling: {resolverCount} resolvers x {hostCount} names = {queries} queries per cycle, concurrency {concurrency}, {servers.Count} loopback servers");
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            errors = 0;
            var watch = Stopwatch.StartNew();
            var snapshot = await poller.PollAsync("bench", hosts, ["A"], classifier, resolvers, timeout, gate, CancellationToken.None);
            var seconds = watch.Elapsed.TotalSeconds;
            times.Add(seconds);
            var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
            var source = snapshot.Resolvers.Count(r => r.Answer == ResolverAnswer.Source);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cycle {cycle}: {seconds:0.000} s, {queries / seconds:0} queries/s, {errors} errors, {source}/{resolverCount} resolvers answered source, heap {heap:0.0} MiB, working set {Environment.WorkingSet / 1048576.0:0} MiB"));
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median cycle {times[times.Count / 2]:0.000} s, {queries / times[times.Count / 2]:0} queries/s"));
        return 0;
    }
}
