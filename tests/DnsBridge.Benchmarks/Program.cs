using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/DnsBridge.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(DnsBridge.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
