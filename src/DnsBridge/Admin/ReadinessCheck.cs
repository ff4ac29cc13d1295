namespace DnsBridge.Admin;

/// <summary>A readiness condition over a feature that knows nothing of the admin listener (the state store).</summary>
internal sealed class ReadinessCheck(string name, Func<string?> problem) : IReadinessCheck
{
    public string Name => name;

    public string? Problem() => problem();
}
