using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace DnsBridge.Configuration.Validation;

/// <summary>A cutover's target; the server name comes back normalised and the CA file path absolute.</summary>
internal static class TargetValidator
{
    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromDays(30);

    public static TargetConfig Validate(TargetConfig t, string path, string baseDirectory, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(t.Address))
        {
            error($"{path}:{nameof(TargetConfig.Address)}", "is required (the target EIP)");
        }
        else if (!IPAddress.TryParse(t.Address, out _))
        {
            error($"{path}:{nameof(TargetConfig.Address)}", $"must be an IP address, got '{t.Address}': the forwarder never resolves names, since during propagation DNS may send it back to the source");
        }

        if (t.Port is < 1 or > 65535)
        {
            error($"{path}:{nameof(TargetConfig.Port)}", $"must be 1-65535, got {t.Port}");
        }

        if (t.Scheme is not ("http" or "https" or TargetConfig.SchemeTls or TargetConfig.SchemeTcp))
        {
            error($"{path}:{nameof(TargetConfig.Scheme)}", $"must be http or https, or tls (passthrough by SNI) or tcp (port forwards only), got '{t.Scheme}'");
        }

        if (!ProxyProtocolVersions.All.Contains(t.ProxyProtocol))
        {
            error($"{path}:{nameof(TargetConfig.ProxyProtocol)}", $"must be none, v1 or v2, got '{t.ProxyProtocol}'");
        }

        string? serverName = null;
        if (t.ServerName is not null)
        {
            if (ConfigParsers.TryNormalizeHostName(t.ServerName, out var name, out var why))
            {
                serverName = name;
            }
            else
            {
                error($"{path}:{nameof(TargetConfig.ServerName)}", why);
            }

            if (t.Scheme != "https")
            {
                error($"{path}:{nameof(TargetConfig.ServerName)}", "only applies to https targets");
            }
        }

        var caFile = t.CaFile is null ? null : CaFile(Path.GetFullPath(t.CaFile, baseDirectory), $"{path}:{nameof(TargetConfig.CaFile)}", error);

        if (t.Timeout <= TimeSpan.Zero)
        {
            error($"{path}:{nameof(TargetConfig.Timeout)}", "must be longer than 00:00:00");
        }

        // The upper bound keeps it within what a timer can wait (about 49 days); leave it out for no bound.
        if (t.RequestTimeout is { } requestTimeout && (requestTimeout <= TimeSpan.Zero || requestTimeout > MaxRequestTimeout))
        {
            error($"{path}:{nameof(TargetConfig.RequestTimeout)}", $"must be longer than 00:00:00 and at most {MaxRequestTimeout:c}, got {requestTimeout:c} (leave it out for no bound)");
        }

        if (!t.HealthPath.StartsWith('/'))
        {
            error($"{path}:{nameof(TargetConfig.HealthPath)}", $"must start with '/', got '{t.HealthPath}'");
        }

        return t with { ServerName = serverName, CaFile = caFile };
    }

    internal static string CaFile(string caFile, string path, Action<string, string> error)
    {
        if (!File.Exists(caFile))
        {
            error(path, $"file not found: {caFile}");
            return caFile;
        }

        try
        {
            var certs = new X509Certificate2Collection();
            certs.ImportFromPemFile(caFile);
            if (certs.Count == 0)
            {
                error(path, $"no PEM certificate in {caFile}");
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            error(path, $"cannot read PEM certificates from {caFile}: {e.Message}");
        }

        return caFile;
    }
}
