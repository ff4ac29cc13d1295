using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- --filter '*'         (hot-path micro-benchmarks)
// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- polling --servers ... (tests/bench/propagation.sh)
if (args.Length > 0 && args[0] == "polling")
{
    return await DnsBridge.Benchmarks.PollingBenchmark.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(DnsBridge.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
return 0;
