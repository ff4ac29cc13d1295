using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- --filter '*' [--job short]  (hot-path micro-benchmarks)
// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- polling --servers ...      (tests/bench/propagation.sh)
// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- overview --url ... --rows N (tests/bench/wave-scale.sh --browser)
switch (args.FirstOrDefault())
{
    case "polling":
        return await DnsBridge.Benchmarks.PollingBenchmark.RunAsync(args[1..]);
    case "overview":
        return await DnsBridge.Benchmarks.OverviewBenchmark.RunAsync(args[1..]);
}

// In process: BenchmarkDotNet's generated project would inherit the repository's warnings-as-errors and central
// package rules and fail to restore.
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
BenchmarkSwitcher.FromAssembly(typeof(DnsBridge.Benchmarks.HotPathBenchmarks).Assembly).Run(args, config);
return 0;
