using System.Globalization;

namespace DnsBridge.Configuration;

/// <summary>
/// The single conversion point from <see cref="IConfiguration"/> to <see cref="DnsBridgeConfig"/>. Unlike the
/// framework binder it does not stop at the first bad value: every unparsable value and every unknown key is
/// reported with its key path, so one run of <c>validate</c> shows all of them.
/// </summary>
public sealed partial class ConfigReader
{
    private static readonly Scalar<int> Int =
        new(raw => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, "a whole number");

    private static readonly Scalar<long> Long =
        new(raw => long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, "a whole number");

    private static readonly Scalar<bool> Bool =
        new(raw => bool.TryParse(raw, out var v) ? v : null, "true or false");

    private static readonly Scalar<TimeSpan> Duration =
        new(raw => ConfigParsers.TryParseDuration(raw, out var v) ? v : null, "a duration hh:mm:ss (for example 00:00:30)");

    private static readonly Scalar<double> Degrees =
        new(raw => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null, "decimal degrees (for example 50.11)");

    private static readonly Scalar<double> Ratio =
        new(raw => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null, "a decimal number (for example 0.99)");

    private readonly List<ConfigError> _errors = [];

    private ConfigReader()
    {
    }

    public static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Read(IConfiguration configuration)
    {
        var reader = new ConfigReader();
        var section = configuration.GetSection(DnsBridgeConfig.SectionName);
        var config = reader.ReadRoot(section);
        return (config, reader._errors);
    }

    private DnsBridgeConfig ReadRoot(IConfigurationSection s)
    {
        CheckKeys(s, "Listen", "Cutovers", "Resolvers", "Propagation", "Alerts", "State", "Cluster", "Logging", "Limits", "TrustedProxies");
        var defaults = new DnsBridgeConfig();
        return new DnsBridgeConfig
        {
            Listen = ReadListen(s.GetSection("Listen")),
            Cutovers = ReadArray(s.GetSection("Cutovers"), ReadCutover),
            Resolvers = ReadResolvers(s.GetSection("Resolvers")),
            Propagation = ReadPropagation(s.GetSection("Propagation")),
            Alerts = ReadAlerts(s.GetSection("Alerts")),
            State = ReadState(s.GetSection("State")),
            Cluster = ReadCluster(s.GetSection("Cluster")),
            Logging = ReadLogging(s.GetSection("Logging")),
            Limits = ReadLimits(s.GetSection("Limits")),
            TrustedProxies = Exists(s.GetSection("TrustedProxies"))
                ? ReadStrings(s.GetSection("TrustedProxies"))
                : defaults.TrustedProxies,
        };
    }

    private ListenConfig ReadListen(IConfigurationSection s)
    {
        CheckKeys(s, "Proxy", "ProxyHttps", "Admin", "AdminToken", "AllowAnonymousAdmin", "Certificates", "Passthrough", "AcceptProxyProtocol", "ConnectionIdleTimeout", "ConnectionHalfCloseTimeout");
        var d = new ListenConfig();
        return new ListenConfig
        {
            Proxy = String(s, "Proxy") ?? d.Proxy,
            ProxyHttps = NullIfEmpty(String(s, "ProxyHttps")),
            Admin = String(s, "Admin") ?? d.Admin,
            AdminToken = NullIfEmpty(String(s, "AdminToken")),
            AllowAnonymousAdmin = Read(s, "AllowAnonymousAdmin", Bool) ?? d.AllowAnonymousAdmin,
            Passthrough = NullIfEmpty(String(s, "Passthrough")),
            AcceptProxyProtocol = Read(s, "AcceptProxyProtocol", Bool) ?? d.AcceptProxyProtocol,
            ConnectionIdleTimeout = Read(s, "ConnectionIdleTimeout", Duration) ?? d.ConnectionIdleTimeout,
            ConnectionHalfCloseTimeout = Read(s, "ConnectionHalfCloseTimeout", Duration) ?? d.ConnectionHalfCloseTimeout,
            Certificates = ReadArray(s.GetSection("Certificates"), c =>
            {
                CheckKeys(c, "CertFile", "KeyFile");
                return new CertificateConfig { CertFile = String(c, "CertFile") ?? "", KeyFile = String(c, "KeyFile") ?? "" };
            }),
        };
    }

    private CutoverConfig ReadCutover(IConfigurationSection s)
    {
        CheckKeys(s, "Name", "Hosts", "Target", "SourceAddresses", "Dns", "Drain", "Ports", "SourceBackend", "Freeze", "Switch", "Mirror");
        return new CutoverConfig
        {
            Name = String(s, "Name") ?? "",
            Hosts = ReadStrings(s.GetSection("Hosts")),
            Target = ReadTarget(s.GetSection("Target")),
            SourceAddresses = ReadStrings(s.GetSection("SourceAddresses")),
            Dns = ReadDns(s.GetSection("Dns")),
            Drain = ReadDrain(s.GetSection("Drain")),
            Ports = ReadArray(s.GetSection("Ports"), p =>
            {
                CheckKeys(p, "Listen", "Target");
                return new PortForwardConfig { Listen = String(p, "Listen") ?? "", Target = Read(p, "Target", Int) ?? 0 };
            }),
            SourceBackend = Exists(s.GetSection("SourceBackend")) ? ReadSourceBackend(s.GetSection("SourceBackend")) : null,
            Freeze = ReadFreeze(s.GetSection("Freeze")),
            Switch = ReadSwitch(s.GetSection("Switch")),
            Mirror = ReadMirror(s.GetSection("Mirror")),
        };
    }

    private SourceBackendConfig ReadSourceBackend(IConfigurationSection s)
    {
        CheckKeys(s, "Address", "Port", "Scheme", "ServerName", "CaFile");
        var d = new SourceBackendConfig();
        var scheme = (String(s, "Scheme") ?? d.Scheme).ToLowerInvariant();
        return new SourceBackendConfig
        {
            Address = String(s, "Address") ?? "",
            Scheme = scheme,
            Port = Read(s, "Port", Int) ?? (scheme == "http" ? 80 : 443),
            ServerName = NullIfEmpty(String(s, "ServerName")),
            CaFile = NullIfEmpty(String(s, "CaFile")),
        };
    }

    private FreezeConfig ReadFreeze(IConfigurationSection s)
    {
        CheckKeys(s, "Hold", "MaxHeld");
        var d = new FreezeConfig();
        return new FreezeConfig
        {
            Hold = Read(s, "Hold", Duration) ?? d.Hold,
            MaxHeld = Read(s, "MaxHeld", Int) ?? d.MaxHeld,
        };
    }

    private SwitchConfig ReadSwitch(IConfigurationSection s)
    {
        CheckKeys(s, "Auto", "Require");
        var d = new SwitchConfig();
        var require = s.GetSection("Require");
        CheckKeys(require, "MinMirrored", "MinStatusMatch", "MaxLatencyRatioP99");
        return new SwitchConfig
        {
            Auto = (String(s, "Auto") ?? d.Auto).Trim().ToLowerInvariant(),
            Require = Exists(require)
                ? new SwitchRequireConfig
                {
                    MinMirrored = Read(require, "MinMirrored", Long),
                    MinStatusMatch = Read(require, "MinStatusMatch", Ratio),
                    MaxLatencyRatioP99 = Read(require, "MaxLatencyRatioP99", Ratio),
                }
                : null,
        };
    }

    private TargetConfig ReadTarget(IConfigurationSection s)
    {
        CheckKeys(s, "Address", "Port", "Scheme", "ServerName", "CaFile", "AllowInvalidCertificate", "Timeout", "RequestTimeout", "HealthPath", "ProxyProtocol");
        var d = new TargetConfig();
        var scheme = (String(s, "Scheme") ?? d.Scheme).ToLowerInvariant();
        var defaultPort = scheme == "http" ? 80 : 443;
        return new TargetConfig
        {
            Address = String(s, "Address") ?? "",
            Scheme = scheme,
            Port = Read(s, "Port", Int) ?? defaultPort,
            ServerName = NullIfEmpty(String(s, "ServerName")),
            CaFile = NullIfEmpty(String(s, "CaFile")),
            AllowInvalidCertificate = Read(s, "AllowInvalidCertificate", Bool) ?? d.AllowInvalidCertificate,
            Timeout = Read(s, "Timeout", Duration) ?? d.Timeout,
            RequestTimeout = Read(s, "RequestTimeout", Duration) ?? d.RequestTimeout,
            HealthPath = String(s, "HealthPath") ?? d.HealthPath,
            ProxyProtocol = (String(s, "ProxyProtocol") ?? d.ProxyProtocol).ToLowerInvariant(),
        };
    }

    private DnsExpectationConfig ReadDns(IConfigurationSection s)
    {
        CheckKeys(s, "Types", "Expect", "ExpectCname", "PreviousNameServers", "ParentNameServers");
        var d = new DnsExpectationConfig();
        return new DnsExpectationConfig
        {
            Types = Exists(s.GetSection("Types")) ? ReadStrings(s.GetSection("Types")) : d.Types,
            Expect = ReadStrings(s.GetSection("Expect")),
            ExpectCname = ReadStrings(s.GetSection("ExpectCname")),
            PreviousNameServers = ReadStrings(s.GetSection("PreviousNameServers")),
            ParentNameServers = ReadStrings(s.GetSection("ParentNameServers")),
        };
    }

    private DrainConfig ReadDrain(IConfigurationSection s)
    {
        CheckKeys(s, "QuietPeriod", "Threshold", "Nudge", "WebSocketGrace", "IdleNudge", "Exclude");
        var d = new DrainConfig();
        var exclude = s.GetSection("Exclude");
        CheckKeys(exclude, "Paths", "UserAgents", "ClientCidrs");
        return new DrainConfig
        {
            QuietPeriod = Read(s, "QuietPeriod", Duration) ?? d.QuietPeriod,
            Threshold = Read(s, "Threshold", Long) ?? d.Threshold,
            Nudge = Read(s, "Nudge", Bool) ?? d.Nudge,
            WebSocketGrace = Read(s, "WebSocketGrace", Duration) ?? d.WebSocketGrace,
            IdleNudge = Read(s, "IdleNudge", Duration) ?? d.IdleNudge,
            Exclude = new ExcludeConfig
            {
                Paths = ReadStrings(exclude.GetSection("Paths")),
                UserAgents = ReadStrings(exclude.GetSection("UserAgents")),
                ClientCidrs = ReadStrings(exclude.GetSection("ClientCidrs")),
            },
        };
    }

    private ResolversConfig ReadResolvers(IConfigurationSection s)
    {
        CheckKeys(s, "Preset", "Custom", "Authoritative", "AuthoritativeServers");
        var d = new ResolversConfig();
        return new ResolversConfig
        {
            Preset = (String(s, "Preset") ?? d.Preset).ToLowerInvariant(),
            Custom = ReadArray(s.GetSection("Custom"), c =>
            {
                CheckKeys(c, "Name", "Address", "Ip", "Region", "ClientSubnet", "PopQuery", "Latitude", "Longitude", "City");
                return new CustomResolverConfig
                {
                    Name = String(c, "Name") ?? "",
                    Address = String(c, "Address") ?? "",
                    Ip = NullIfEmpty(String(c, "Ip")),
                    Region = String(c, "Region") ?? new CustomResolverConfig().Region,
                    Latitude = Read(c, "Latitude", Degrees),
                    Longitude = Read(c, "Longitude", Degrees),
                    City = String(c, "City"),
                    ClientSubnet = NullIfEmpty(String(c, "ClientSubnet")),
                    PopQuery = NullIfEmpty(String(c, "PopQuery")),
                };
            }),
            Authoritative = Read(s, "Authoritative", Bool) ?? d.Authoritative,
            AuthoritativeServers = ReadStrings(s.GetSection("AuthoritativeServers")),
        };
    }

    private LimitsConfig ReadLimits(IConfigurationSection s)
    {
        CheckKeys(s, "MaxConnections", "MaxRequestHeadersBytes", "RequestHeadersTimeout", "KeepAliveTimeout", "ShutdownTimeout");
        var d = new LimitsConfig();
        return new LimitsConfig
        {
            MaxConnections = Read(s, "MaxConnections", Int) ?? d.MaxConnections,
            MaxRequestHeadersBytes = Read(s, "MaxRequestHeadersBytes", Int) ?? d.MaxRequestHeadersBytes,
            RequestHeadersTimeout = Read(s, "RequestHeadersTimeout", Duration) ?? d.RequestHeadersTimeout,
            KeepAliveTimeout = Read(s, "KeepAliveTimeout", Duration) ?? d.KeepAliveTimeout,
            ShutdownTimeout = Read(s, "ShutdownTimeout", Duration) ?? d.ShutdownTimeout,
        };
    }

    private PropagationConfig ReadPropagation(IConfigurationSection s)
    {
        CheckKeys(s, "Enabled", "Interval", "Timeout", "Concurrency", "MaxQuestionsPerSecondPerResolver", "Transport", "HttpProxy", "CaFile", "ClientSubnets", "Vantages");
        var d = new PropagationConfig();
        return new PropagationConfig
        {
            Enabled = Read(s, "Enabled", Bool) ?? d.Enabled,
            Interval = Read(s, "Interval", Duration) ?? d.Interval,
            Timeout = Read(s, "Timeout", Duration) ?? d.Timeout,
            Concurrency = Read(s, "Concurrency", Int) ?? d.Concurrency,
            MaxQuestionsPerSecondPerResolver = Read(s, "MaxQuestionsPerSecondPerResolver", Int) ?? d.MaxQuestionsPerSecondPerResolver,
            Transport = (String(s, "Transport") ?? d.Transport).ToLowerInvariant(),
            HttpProxy = NullIfEmpty(String(s, "HttpProxy")),
            CaFile = NullIfEmpty(String(s, "CaFile")),
            ClientSubnets = ReadArray(s.GetSection("ClientSubnets"), c =>
            {
                CheckKeys(c, "Name", "Subnet");
                return new ClientSubnetConfig { Name = String(c, "Name") ?? "", Subnet = String(c, "Subnet") ?? "" };
            }),
            Vantages = ReadArray(s.GetSection("Vantages"), v =>
            {
                CheckKeys(v, "Name", "Url", "Token");
                return new VantageConfig { Name = String(v, "Name") ?? "", Url = String(v, "Url") ?? "", Token = NullIfEmpty(String(v, "Token")) };
            }),
        };
    }

    private StateConfig ReadState(IConfigurationSection s)
    {
        CheckKeys(s, "Provider", "Path", "ConnectionString");
        var d = new StateConfig();
        return new StateConfig
        {
            Provider = NullIfEmpty(String(s, "Provider"))?.ToLowerInvariant() ?? d.Provider,
            Path = String(s, "Path") ?? d.Path,
            ConnectionString = NullIfEmpty(String(s, "ConnectionString")),
        };
    }

    private LoggingConfig ReadLogging(IConfigurationSection s)
    {
        CheckKeys(s, "AccessLog", "BufferEvents");
        var d = new LoggingConfig();
        return new LoggingConfig
        {
            AccessLog = Read(s, "AccessLog", Bool) ?? d.AccessLog,
            BufferEvents = Read(s, "BufferEvents", Int) ?? d.BufferEvents,
        };
    }

    private static bool Exists(IConfigurationSection s) => s.Value is not null || s.GetChildren().Any();

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Array children ordered by index ("0", "1", "10"), as JSON and DNSBRIDGE__X__0 variables both give them.</summary>
    private static IEnumerable<IConfigurationSection> Items(IConfigurationSection s) =>
        s.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue);

    private List<T> ReadArray<T>(IConfigurationSection s, Func<IConfigurationSection, T> read)
    {
        if (s.Value is { Length: > 0 })
        {
            Error(s.Path, "must be a list");
            return [];
        }

        var result = new List<T>();
        foreach (var item in Items(s))
        {
            if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                Error(item.Path, "unexpected key: this setting is a list");
                continue;
            }

            result.Add(read(item));
        }

        return result;
    }

    private List<string> ReadStrings(IConfigurationSection s)
    {
        if (s.Value is { Length: > 0 } single)
        {
            Error(s.Path, $"must be a list (write [\"{single}\"])");
            return [];
        }

        var result = new List<string>();
        foreach (var item in Items(s))
        {
            if (item.GetChildren().Any())
            {
                Error(item.Path, "must be a string");
                continue;
            }

            result.Add((item.Value ?? "").Trim());
        }

        return result;
    }

    private void CheckKeys(IConfigurationSection s, params string[] known)
    {
        // A single value where a section belongs would otherwise read as an empty section: every default, no word.
        if (s.Value is { Length: > 0 } && !s.GetChildren().Any())
        {
            Error(s.Path, "must be a section ({ ... }), not a single value");
            return;
        }

        foreach (var child in s.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = known.FirstOrDefault(k => Similar(k, child.Key));
                Error(child.Path, hint is null
                    ? $"unknown key (known here: {string.Join(", ", known)})"
                    : $"unknown key; did you mean '{hint}'?");
            }
        }
    }

    private static bool Similar(string a, string b) =>
        a.StartsWith(b, StringComparison.OrdinalIgnoreCase) || b.StartsWith(a, StringComparison.OrdinalIgnoreCase);

    private string? String(IConfigurationSection s, string key)
    {
        var child = s.GetSection(key);
        if (child.GetChildren().Any())
        {
            Error(child.Path, "must be a single value, not a section or list");
            return null;
        }

        return child.Value?.Trim();
    }

    /// <summary>
    /// Numbers, booleans and durations: an absent or empty value is null (the caller's default applies), an
    /// unparsable one is reported as "must be {expected}".
    /// </summary>
    private T? Read<T>(IConfigurationSection s, string key, Scalar<T> scalar)
        where T : struct
    {
        var raw = String(s, key);
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (scalar.Parse(raw) is { } value)
        {
            return value;
        }

        Error(s.GetSection(key).Path, $"must be {scalar.Expected}, got '{raw}'");
        return null;
    }

    private void Error(string path, string message) => _errors.Add(new ConfigError(path, message));

    private sealed record Scalar<T>(Func<string, T?> Parse, string Expected)
        where T : struct;
}
