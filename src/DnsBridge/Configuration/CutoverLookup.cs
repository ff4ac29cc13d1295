using System.Runtime.CompilerServices;

namespace DnsBridge.Configuration;

/// <summary>
/// A cutover by its exact name in constant time. The drain detector and the phases look every cutover up every
/// second; a scan of the list made that quadratic in a wave of 500 (issue 28). The index is kept beside the immutable
/// configuration, not in it: a field of the record would take part in its equality, which reloads compare.
/// </summary>
internal static class CutoverLookup
{
    private static readonly ConditionalWeakTable<DnsBridgeConfig, Dictionary<string, CutoverConfig>> Indexes = new();

    /// <summary>The cutover named exactly <paramref name="name"/> (the first one, as a scan would find), or null.</summary>
    public static CutoverConfig? Cutover(this DnsBridgeConfig config, string name) =>
        Indexes.GetValue(config, Index).GetValueOrDefault(name);

    private static Dictionary<string, CutoverConfig> Index(DnsBridgeConfig config)
    {
        var index = new Dictionary<string, CutoverConfig>(config.Cutovers.Count, StringComparer.Ordinal);
        foreach (var cutover in config.Cutovers)
        {
            index.TryAdd(cutover.Name, cutover);
        }

        return index;
    }
}
