using System.Net;

namespace DnsBridge.Configuration.Validation;

/// <summary>
/// A cutover's phase settings: <c>SourceBackend</c> (same rules as <c>Target</c>), <c>Freeze</c> and <c>Switch</c>.
/// The source backend's server name comes back normalised and its CA file path absolute.
/// </summary>
internal static class PhaseValidator
{
    public static readonly TimeSpan MaxHold = TimeSpan.FromMinutes(10);

    public const int MaxMaxHeld = 1_000_000;

    public static SourceBackendConfig? Validate(CutoverConfig c, TargetConfig target, string path, string baseDirectory, Action<string, string> error)
    {
        var source = c.SourceBackend is null ? null : SourceBackend(c.SourceBackend, target, $"{path}:{nameof(CutoverConfig.SourceBackend)}", baseDirectory, error);

        if (c.Freeze.Hold <= TimeSpan.Zero || c.Freeze.Hold > MaxHold)
        {
            error($"{path}:{nameof(CutoverConfig.Freeze)}:{nameof(FreezeConfig.Hold)}", $"must be longer than 00:00:00 and at most {MaxHold:c}, got {c.Freeze.Hold:c}");
        }

        if (c.Freeze.MaxHeld is < 1 or > MaxMaxHeld)
        {
            error($"{path}:{nameof(CutoverConfig.Freeze)}:{nameof(FreezeConfig.MaxHeld)}", $"must be 1-{MaxMaxHeld}, got {c.Freeze.MaxHeld}");
        }

        if (c.Switch.Auto is not (SwitchConfig.AutoNone or SwitchConfig.AutoDns))
        {
            error($"{path}:{nameof(CutoverConfig.Switch)}:{nameof(SwitchConfig.Auto)}", $"must be none or dns, got '{c.Switch.Auto}'");
        }

        if (c.Switch.Require is { } require)
        {
            if (require.MinMirrored is < 0)
            {
                error($"{path}:{nameof(CutoverConfig.Switch)}:{nameof(SwitchConfig.Require)}:{nameof(SwitchRequireConfig.MinMirrored)}", $"must be 0 or more, got {require.MinMirrored}");
            }

            if (require.MinStatusMatch is < 0 or > 1)
            {
                error($"{path}:{nameof(CutoverConfig.Switch)}:{nameof(SwitchConfig.Require)}:{nameof(SwitchRequireConfig.MinStatusMatch)}", $"must be 0-1 (a share of the mirrored requests), got {require.MinStatusMatch}");
            }

            if (require.MaxLatencyRatioP99 is <= 0)
            {
                error($"{path}:{nameof(CutoverConfig.Switch)}:{nameof(SwitchConfig.Require)}:{nameof(SwitchRequireConfig.MaxLatencyRatioP99)}", $"must be more than 0 (target p99 / source p99), got {require.MaxLatencyRatioP99}");
            }
        }

        // Phase settings of a cutover without phases would be silently ignored: say so instead.
        if (c.SourceBackend is null)
        {
            if (c.Switch.AutoOnDns || c.Switch.Require is not null)
            {
                error($"{path}:{nameof(CutoverConfig.Switch)}", "only applies to a cutover with SourceBackend (without it the cutover is switched from the start)");
            }
        }

        return source;
    }

    private static SourceBackendConfig SourceBackend(SourceBackendConfig s, TargetConfig target, string path, string baseDirectory, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(s.Address))
        {
            error($"{path}:{nameof(SourceBackendConfig.Address)}", "is required (the old application as DnsBridge reaches it at the source, an IP address)");
        }
        else if (!IPAddress.TryParse(s.Address, out var address))
        {
            error($"{path}:{nameof(SourceBackendConfig.Address)}", $"must be an IP address, got '{s.Address}': the forwarder never resolves names");
        }
        else if (IPAddress.TryParse(target.Address, out var targetAddress) && address.Equals(targetAddress) && s.Port == target.Port)
        {
            error($"{path}:{nameof(SourceBackendConfig.Address)}", $"{s.Address}:{s.Port} is the target itself: rehearsal and rollback would not reach the source");
        }

        if (s.Port is < 1 or > 65535)
        {
            error($"{path}:{nameof(SourceBackendConfig.Port)}", $"must be 1-65535, got {s.Port}");
        }

        // The source is reached the way the target is: over HTTP for an HTTP cutover, as connections for a tls or tcp one.
        var allowed = target.IsConnectionOnly ? new[] { target.Scheme } : ["http", "https"];
        if (!allowed.Contains(s.Scheme))
        {
            error($"{path}:{nameof(SourceBackendConfig.Scheme)}", target.IsConnectionOnly
                ? $"must be {target.Scheme} like Target:Scheme (a connection cutover's source is reached as connections too), got '{s.Scheme}'"
                : $"must be http or https for an HTTP cutover, got '{s.Scheme}'");
        }

        string? serverName = null;
        if (s.ServerName is not null)
        {
            if (ConfigParsers.TryNormalizeHostName(s.ServerName, out var name, out var why))
            {
                serverName = name;
            }
            else
            {
                error($"{path}:{nameof(SourceBackendConfig.ServerName)}", why);
            }

            if (s.Scheme != "https")
            {
                error($"{path}:{nameof(SourceBackendConfig.ServerName)}", "only applies to an https source backend");
            }
        }

        var caFile = s.CaFile is null ? null : TargetValidator.CaFile(Path.GetFullPath(s.CaFile, baseDirectory), $"{path}:{nameof(SourceBackendConfig.CaFile)}", error);
        return s with { ServerName = serverName, CaFile = caFile };
    }
}
