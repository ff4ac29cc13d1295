namespace DnsBridge.Hosting;

/// <summary>A readiness condition over a feature that must not know about hosting (the state store).</summary>
public sealed class ReadinessCheck(string name, Func<string?> problem) : IReadinessCheck
{
    public string Name => name;

    public string? Problem() => problem();
}
