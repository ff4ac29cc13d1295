namespace DnsBridge.FunctionalTests.Residual;

/// <summary>Tests that measure the process's managed heap run alone, so no other test's allocations are counted.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurement
{
    public const string Name = "heap measurement";
}
