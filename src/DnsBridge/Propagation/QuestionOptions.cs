using DnsBridge.Configuration;
using DnsBridge.Propagation.Wire;

namespace DnsBridge.Propagation;

/// <summary>What every question of a pass shares: the DoH proxy, extra CA roots, and the named client subnets to ask "as if from".</summary>
internal sealed record QuestionOptions(string? HttpProxy, string? CaFile, IReadOnlyList<(string Name, ClientSubnet Subnet)> Subnets)
{
    /// <summary>
    /// How long a PoP found by an identification question is reused: a resolver's site changes rarely (routing), so
    /// asking it every pass would double the questions for nothing. Zero (a one-off check): asked each time.
    /// </summary>
    public TimeSpan PopRefresh { get; init; }

    public static readonly QuestionOptions None = new(null, null, []);

    public static QuestionOptions From(PropagationConfig config) => new(
        config.HttpProxy,
        config.CaFile,
        [.. config.ClientSubnets.Select(s => (s.Name, ClientSubnet.TryParse(s.Subnet, out var subnet) ? subnet : null)).Where(s => s.Item2 is not null).Select(s => (s.Name, s.Item2!))])
    {
        PopRefresh = config.Interval * PopRefreshIntervals,
    };

    /// <summary>Passes between two identification questions to the same resolver.</summary>
    public const int PopRefreshIntervals = 10;
}
