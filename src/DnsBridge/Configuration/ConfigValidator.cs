using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace DnsBridge.Configuration;

/// <summary>
/// Semantic checks the reader cannot make (addresses, names, ranges, cross-cutover rules), and normalisation
/// of host names. Returns every problem found with its key path.
/// </summary>
public static partial class ConfigValidator
{
    public const int MinAdminTokenLength = 16;

    private const string Root = DnsBridgeConfig.SectionName;

    public static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Validate(DnsBridgeConfig config, string baseDirectory)
    {
        var errors = new List<ConfigError>();
        void Error(string path, string message) => errors.Add(new ConfigError(path, message));

        var proxy = ValidateListen($"{Root}:Listen:Proxy", config.Listen.Proxy, Error);
        var admin = ValidateListen($"{Root}:Listen:Admin", config.Listen.Admin, Error);
        // The listeners are told apart by local port, so they must not share one, whatever the addresses.
        if (proxy is not null && admin is not null && proxy.Port == admin.Port && proxy.Port != 0)
        {
            Error($"{Root}:Listen:Admin", $"must not share port {admin.Port} with Listen:Proxy: the proxy listener never serves admin endpoints");
        }

        var listen = ValidateTlsListener(config.Listen, baseDirectory, admin, Error);

        if (config.Cutovers.Count == 0)
        {
            Error($"{Root}:Cutovers", "at least one cutover is required (nothing would be forwarded)");
        }

        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var hostOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var cutovers = new List<CutoverConfig>(config.Cutovers.Count);
        for (var i = 0; i < config.Cutovers.Count; i++)
        {
            cutovers.Add(ValidateCutover(config.Cutovers[i], $"{Root}:Cutovers:{i}", baseDirectory, names, hostOwners, Error));
        }

        ValidateResolvers(config.Resolvers, Error);
        ValidatePropagation(config.Propagation, Error);
        ValidateLimits(config.Limits, Error);

        for (var i = 0; i < config.Alerts.Webhooks.Count; i++)
        {
            var url = config.Alerts.Webhooks[i].Url;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Error($"{Root}:Alerts:Webhooks:{i}:Url", $"must be an absolute http or https URL, got '{url}'");
            }
        }

        if (string.IsNullOrWhiteSpace(config.State.Path))
        {
            Error($"{Root}:State:Path", "must not be empty");
        }

        for (var i = 0; i < config.TrustedProxies.Count; i++)
        {
            if (!ConfigParsers.TryParseCidr(config.TrustedProxies[i], out _))
            {
                Error($"{Root}:TrustedProxies:{i}", $"must be an IP address or CIDR (10.0.0.0/8), got '{config.TrustedProxies[i]}'");
            }
        }

        return (config with { Cutovers = cutovers, Listen = listen }, errors);
    }

    private static ListenConfig ValidateTlsListener(ListenConfig listen, string baseDirectory, IPEndPoint? admin, Action<string, string> error)
    {
        var certificates = new List<CertificateConfig>();
        for (var i = 0; i < listen.Certificates.Count; i++)
        {
            var path = $"{Root}:Listen:Certificates:{i}";
            var c = listen.Certificates[i];
            var certFile = c.CertFile.Length == 0 ? "" : Path.GetFullPath(c.CertFile, baseDirectory);
            var keyFile = c.KeyFile.Length == 0 ? "" : Path.GetFullPath(c.KeyFile, baseDirectory);
            if (certFile.Length == 0)
            {
                error($"{path}:CertFile", "is required (PEM certificate chain)");
            }
            else if (!File.Exists(certFile))
            {
                error($"{path}:CertFile", $"file not found: {certFile}");
            }

            if (keyFile.Length == 0)
            {
                error($"{path}:KeyFile", "is required (PEM private key)");
            }
            else if (!File.Exists(keyFile))
            {
                error($"{path}:KeyFile", $"file not found: {keyFile}");
            }
            else if (File.Exists(certFile))
            {
                try
                {
                    using var loaded = X509Certificate2.CreateFromPemFile(certFile, keyFile);
                }
                catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
                {
                    error(path, $"cannot load the certificate and key: {e.Message}");
                }
            }

            certificates.Add(new CertificateConfig { CertFile = certFile, KeyFile = keyFile });
        }

        if (listen.AdminToken is { } token && (token.Length < MinAdminTokenLength || token.Any(char.IsWhiteSpace)))
        {
            // The token itself is never repeated in the message: errors are printed and logged.
            error($"{Root}:Listen:AdminToken", $"must be at least {MinAdminTokenLength} characters without spaces (e.g. the output of `openssl rand -hex 32`)");
        }

        if (listen.ProxyHttps is not null)
        {
            if (!ConfigParsers.TryParseListenUrl(listen.ProxyHttps, out var https, out var why, Uri.UriSchemeHttps))
            {
                error($"{Root}:Listen:ProxyHttps", why);
            }
            else if (admin is not null && https!.Port == admin.Port && https.Port != 0)
            {
                error($"{Root}:Listen:ProxyHttps", $"must not share port {admin.Port} with Listen:Admin");
            }

            if (certificates.Count == 0)
            {
                error($"{Root}:Listen:Certificates", "at least one certificate is required with Listen:ProxyHttps");
            }
        }

        return listen with { Certificates = certificates };
    }

    private static CutoverConfig ValidateCutover(
        CutoverConfig c, string path, string baseDirectory, Dictionary<string, int> names,
        Dictionary<string, string> hostOwners, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(c.Name))
        {
            error($"{path}:Name", "is required");
        }
        else if (!NamePattern().IsMatch(c.Name))
        {
            error($"{path}:Name", $"must be 1-63 characters of a-z, 0-9, '-', '_' or '.', got '{c.Name}'");
        }
        else if (!names.TryAdd(c.Name, 0))
        {
            error($"{path}:Name", $"duplicate cutover name '{c.Name}'");
        }

        var hosts = new List<string>(c.Hosts.Count);
        if (c.Hosts.Count == 0)
        {
            error($"{path}:Hosts", "at least one host name is required");
        }

        for (var h = 0; h < c.Hosts.Count; h++)
        {
            var hostPath = $"{path}:Hosts:{h}";
            if (!ConfigParsers.TryNormalizeHostName(c.Hosts[h], out var host, out var why))
            {
                error(hostPath, why);
                continue;
            }

            if (hostOwners.TryGetValue(host, out var owner))
            {
                error(hostPath, $"host '{host}' is already listed at {owner}: a host belongs to exactly one cutover");
                continue;
            }

            hostOwners[host] = hostPath;
            hosts.Add(host);
        }

        var target = ValidateTarget(c.Target, $"{path}:Target", baseDirectory, error);

        var sources = ValidateAddresses(c.SourceAddresses, $"{path}:SourceAddresses", error);
        if (IPAddress.TryParse(target.Address, out var targetIp) && sources.Contains(targetIp))
        {
            error($"{path}:Target:Address", $"{target.Address} is also listed in SourceAddresses: forwarding there would loop back to the source");
        }

        var dns = c.Dns;
        for (var t = 0; t < dns.Types.Count; t++)
        {
            if (dns.Types[t] is not ("A" or "AAAA"))
            {
                error($"{path}:Dns:Types:{t}", $"must be A or AAAA, got '{dns.Types[t]}'");
            }
        }

        ValidateAddresses(dns.Expect, $"{path}:Dns:Expect", error);
        var expectCnames = new List<string>();
        for (var n = 0; n < dns.ExpectCname.Count; n++)
        {
            if (ConfigParsers.TryNormalizeHostName(dns.ExpectCname[n], out var cname, out var why))
            {
                expectCnames.Add(cname);
            }
            else
            {
                error($"{path}:Dns:ExpectCname:{n}", why);
            }
        }

        if (dns.Expect.Count == 0 && dns.ExpectCname.Count == 0)
        {
            dns = dns with { Expect = [target.Address] };
        }

        dns = dns with { ExpectCname = expectCnames };

        var drain = c.Drain;
        if (drain.QuietPeriod <= TimeSpan.Zero)
        {
            error($"{path}:Drain:QuietPeriod", "must be longer than 00:00:00");
        }

        if (drain.Threshold < 0)
        {
            error($"{path}:Drain:Threshold", $"must be 0 or more, got {drain.Threshold}");
        }

        for (var p = 0; p < drain.Exclude.Paths.Count; p++)
        {
            if (!drain.Exclude.Paths[p].StartsWith('/'))
            {
                error($"{path}:Drain:Exclude:Paths:{p}", $"must start with '/', got '{drain.Exclude.Paths[p]}'");
            }
        }

        for (var u = 0; u < drain.Exclude.UserAgents.Count; u++)
        {
            if (string.IsNullOrEmpty(drain.Exclude.UserAgents[u]))
            {
                error($"{path}:Drain:Exclude:UserAgents:{u}", "must not be empty");
            }
        }

        for (var r = 0; r < drain.Exclude.ClientCidrs.Count; r++)
        {
            if (!ConfigParsers.TryParseCidr(drain.Exclude.ClientCidrs[r], out _))
            {
                error($"{path}:Drain:Exclude:ClientCidrs:{r}", $"must be an IP address or CIDR (10.0.0.0/8), got '{drain.Exclude.ClientCidrs[r]}'");
            }
        }

        return c with { Hosts = hosts, Target = target, Dns = dns };
    }

    private static TargetConfig ValidateTarget(TargetConfig t, string path, string baseDirectory, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(t.Address))
        {
            error($"{path}:Address", "is required (the target EIP)");
        }
        else if (!IPAddress.TryParse(t.Address, out _))
        {
            error($"{path}:Address", $"must be an IP address, got '{t.Address}': the forwarder never resolves names, since during propagation DNS may send it back to the source");
        }

        if (t.Port is < 1 or > 65535)
        {
            error($"{path}:Port", $"must be 1-65535, got {t.Port}");
        }

        if (t.Scheme is not ("http" or "https"))
        {
            error($"{path}:Scheme", $"must be http or https, got '{t.Scheme}'");
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
                error($"{path}:ServerName", why);
            }

            if (t.Scheme == "http")
            {
                error($"{path}:ServerName", "only applies to https targets");
            }
        }

        string? caFile = null;
        if (t.CaFile is not null)
        {
            caFile = Path.GetFullPath(t.CaFile, baseDirectory);
            if (!File.Exists(caFile))
            {
                error($"{path}:CaFile", $"file not found: {caFile}");
            }
            else
            {
                try
                {
                    var certs = new X509Certificate2Collection();
                    certs.ImportFromPemFile(caFile);
                    if (certs.Count == 0)
                    {
                        error($"{path}:CaFile", $"no PEM certificate in {caFile}");
                    }
                }
                catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
                {
                    error($"{path}:CaFile", $"cannot read PEM certificates from {caFile}: {e.Message}");
                }
            }
        }

        if (t.Timeout <= TimeSpan.Zero)
        {
            error($"{path}:Timeout", "must be longer than 00:00:00");
        }

        if (!t.HealthPath.StartsWith('/'))
        {
            error($"{path}:HealthPath", $"must start with '/', got '{t.HealthPath}'");
        }

        return t with { ServerName = serverName, CaFile = caFile };
    }

    private static void ValidateResolvers(ResolversConfig r, Action<string, string> error)
    {
        if (r.Preset is not (ResolversConfig.PresetGlobal or ResolversConfig.PresetNone))
        {
            error($"{Root}:Resolvers:Preset", $"must be 'global' or 'none', got '{r.Preset}'");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < r.Custom.Count; i++)
        {
            var c = r.Custom[i];
            var path = $"{Root}:Resolvers:Custom:{i}";
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                error($"{path}:Name", "is required");
            }
            else if (!names.Add(c.Name))
            {
                error($"{path}:Name", $"duplicate resolver name '{c.Name}'");
            }

            if (!ConfigParsers.TryParseEndpoint(c.Address, 53, out _))
            {
                error($"{path}:Address", $"must be IP, IP:PORT or [IPv6]:PORT, got '{c.Address}'");
            }

            if (string.IsNullOrWhiteSpace(c.Region))
            {
                error($"{path}:Region", "must not be empty");
            }
        }

        for (var i = 0; i < r.AuthoritativeServers.Count; i++)
        {
            if (!ConfigParsers.TryParseEndpoint(r.AuthoritativeServers[i], 53, out _))
            {
                error($"{Root}:Resolvers:AuthoritativeServers:{i}", $"must be IP, IP:PORT or [IPv6]:PORT, got '{r.AuthoritativeServers[i]}'");
            }
        }

        if (r.Preset == ResolversConfig.PresetNone && r.Custom.Count == 0 && !r.Authoritative)
        {
            error($"{Root}:Resolvers", "Preset 'none' without Custom resolvers or Authoritative leaves nothing to ask");
        }
    }

    private static void ValidateLimits(LimitsConfig l, Action<string, string> error)
    {
        if (l.MaxConnections is < 1 or > 1_000_000)
        {
            error($"{Root}:Limits:MaxConnections", $"must be 1-1000000, got {l.MaxConnections}");
        }

        if (l.MaxRequestHeadersBytes is < 4096 or > 1024 * 1024)
        {
            error($"{Root}:Limits:MaxRequestHeadersBytes", $"must be 4096-1048576, got {l.MaxRequestHeadersBytes}");
        }

        if (l.RequestHeadersTimeout < TimeSpan.FromSeconds(1) || l.RequestHeadersTimeout > TimeSpan.FromMinutes(10))
        {
            error($"{Root}:Limits:RequestHeadersTimeout", "must be between 00:00:01 and 00:10:00");
        }

        if (l.KeepAliveTimeout < TimeSpan.FromSeconds(1) || l.KeepAliveTimeout > TimeSpan.FromHours(1))
        {
            error($"{Root}:Limits:KeepAliveTimeout", "must be between 00:00:01 and 01:00:00");
        }

        if (l.ShutdownTimeout < TimeSpan.FromSeconds(1) || l.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            error($"{Root}:Limits:ShutdownTimeout", "must be between 00:00:01 and 00:10:00");
        }
    }

    private static void ValidatePropagation(PropagationConfig p, Action<string, string> error)
    {
        if (p.Interval < TimeSpan.FromSeconds(1))
        {
            error($"{Root}:Propagation:Interval", "must be at least 00:00:01");
        }

        if (p.Timeout <= TimeSpan.Zero)
        {
            error($"{Root}:Propagation:Timeout", "must be longer than 00:00:00");
        }
        else if (p.Timeout >= p.Interval)
        {
            error($"{Root}:Propagation:Timeout", $"must be shorter than Propagation:Interval ({p.Interval:c})");
        }

        if (p.Concurrency is < 1 or > 1024)
        {
            error($"{Root}:Propagation:Concurrency", $"must be 1-1024, got {p.Concurrency}");
        }
    }

    private static IPEndPoint? ValidateListen(string path, string url, Action<string, string> error)
    {
        if (!ConfigParsers.TryParseListenUrl(url, out var endpoint, out var why))
        {
            error(path, why);
        }

        return endpoint;
    }

    private static HashSet<IPAddress> ValidateAddresses(IReadOnlyList<string> values, string path, Action<string, string> error)
    {
        var set = new HashSet<IPAddress>();
        for (var i = 0; i < values.Count; i++)
        {
            if (IPAddress.TryParse(values[i], out var ip))
            {
                set.Add(ip);
            }
            else
            {
                error($"{path}:{i}", $"must be an IP address, got '{values[i]}'");
            }
        }

        return set;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
