using DnsBridge.Configuration;

namespace DnsBridge.Preflight;

/// <summary>The DNS rows of the checklist (TTL, authoritative agreement, current answer, resolver coverage).</summary>
internal interface IPreflightDnsChecks
{
    Task<IReadOnlyList<PreflightResult>> CheckAsync(DnsBridgeConfig config, CutoverConfig cutover, CancellationToken cancellationToken);
}
