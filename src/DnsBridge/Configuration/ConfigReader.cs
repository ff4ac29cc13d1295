using System.Globalization;

namespace DnsBridge.Configuration;

/// <summary>
/// The single conversion point from <see cref="IConfiguration"/> to <see cref="DnsBridgeConfig"/>. Unlike the
/// framework binder it does not stop at the first bad value: every unparsable value and every unknown key is
/// reported with its key path, so one run of <c>validate</c> shows all of them.
/// </summary>
internal sealed partial class ConfigReader
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
        var config = reader.ReadSection(configuration.GetSection(DnsBridgeConfig.SectionName), reader.ReadRoot);
        return (config, reader._errors);
    }

    private DnsBridgeConfig ReadRoot(Section s)
    {
        var d = new DnsBridgeConfig();
        return new DnsBridgeConfig
        {
            Listen = s.Nested(nameof(d.Listen), ReadListen),
            Cutovers = s.List(nameof(d.Cutovers), ReadCutover),
            Resolvers = s.Nested(nameof(d.Resolvers), ReadResolvers),
            Propagation = s.Nested(nameof(d.Propagation), ReadPropagation),
            Alerts = s.Nested(nameof(d.Alerts), ReadAlerts),
            State = s.Nested(nameof(d.State), ReadState),
            Cluster = s.Nested(nameof(d.Cluster), ReadCluster),
            Logging = s.Nested(nameof(d.Logging), ReadLogging),
            Limits = s.Nested(nameof(d.Limits), ReadLimits),
            TrustedProxies = s.Has(nameof(d.TrustedProxies)) ? s.Strings(nameof(d.TrustedProxies)) : d.TrustedProxies,
        };
    }

    private ListenConfig ReadListen(Section s)
    {
        var d = new ListenConfig();
        return new ListenConfig
        {
            Proxy = s.String(nameof(d.Proxy)) ?? d.Proxy,
            ProxyHttps = NullIfEmpty(s.String(nameof(d.ProxyHttps))),
            Admin = s.String(nameof(d.Admin)) ?? d.Admin,
            AdminToken = NullIfEmpty(s.String(nameof(d.AdminToken))),
            AllowAnonymousAdmin = s.Read(nameof(d.AllowAnonymousAdmin), Bool) ?? d.AllowAnonymousAdmin,
            Certificates = s.List(nameof(d.Certificates), c => new CertificateConfig
            {
                CertFile = c.String(nameof(CertificateConfig.CertFile)) ?? "",
                KeyFile = c.String(nameof(CertificateConfig.KeyFile)) ?? "",
            }),
            Passthrough = NullIfEmpty(s.String(nameof(d.Passthrough))),
            AcceptProxyProtocol = s.Read(nameof(d.AcceptProxyProtocol), Bool) ?? d.AcceptProxyProtocol,
            ConnectionIdleTimeout = s.Read(nameof(d.ConnectionIdleTimeout), Duration) ?? d.ConnectionIdleTimeout,
            ConnectionHalfCloseTimeout = s.Read(nameof(d.ConnectionHalfCloseTimeout), Duration) ?? d.ConnectionHalfCloseTimeout,
        };
    }

    private CutoverConfig ReadCutover(Section s) => new()
    {
        Name = s.String(nameof(CutoverConfig.Name)) ?? "",
        Hosts = s.Strings(nameof(CutoverConfig.Hosts)),
        Target = s.Nested(nameof(CutoverConfig.Target), ReadTarget),
        SourceAddresses = s.Strings(nameof(CutoverConfig.SourceAddresses)),
        Dns = s.Nested(nameof(CutoverConfig.Dns), ReadDns),
        Drain = s.Nested(nameof(CutoverConfig.Drain), ReadDrain),
        Ports = s.List(nameof(CutoverConfig.Ports), p => new PortForwardConfig
        {
            Listen = p.String(nameof(PortForwardConfig.Listen)) ?? "",
            Target = p.Read(nameof(PortForwardConfig.Target), Int) ?? 0,
        }),
        SourceBackend = s.Has(nameof(CutoverConfig.SourceBackend)) ? s.Nested(nameof(CutoverConfig.SourceBackend), ReadSourceBackend) : null,
        Freeze = s.Nested(nameof(CutoverConfig.Freeze), ReadFreeze),
        Switch = s.Nested(nameof(CutoverConfig.Switch), ReadSwitch),
        Mirror = s.Nested(nameof(CutoverConfig.Mirror), ReadMirror),
    };

    private SourceBackendConfig ReadSourceBackend(Section s)
    {
        var d = new SourceBackendConfig();
        var address = s.String(nameof(d.Address)) ?? "";
        var port = s.Read(nameof(d.Port), Int);
        var scheme = (s.String(nameof(d.Scheme)) ?? d.Scheme).ToLowerInvariant();
        return new SourceBackendConfig
        {
            Address = address,
            Scheme = scheme,
            Port = port ?? (scheme == "http" ? 80 : 443),
            ServerName = NullIfEmpty(s.String(nameof(d.ServerName))),
            CaFile = NullIfEmpty(s.String(nameof(d.CaFile))),
        };
    }

    private FreezeConfig ReadFreeze(Section s)
    {
        var d = new FreezeConfig();
        return new FreezeConfig
        {
            Hold = s.Read(nameof(d.Hold), Duration) ?? d.Hold,
            MaxHeld = s.Read(nameof(d.MaxHeld), Int) ?? d.MaxHeld,
        };
    }

    private SwitchConfig ReadSwitch(Section s)
    {
        var d = new SwitchConfig();
        return new SwitchConfig
        {
            Auto = (s.String(nameof(d.Auto)) ?? d.Auto).Trim().ToLowerInvariant(),
            Require = s.Has(nameof(d.Require))
                ? s.Nested(nameof(d.Require), r => new SwitchRequireConfig
                {
                    MinMirrored = r.Read(nameof(SwitchRequireConfig.MinMirrored), Long),
                    MinStatusMatch = r.Read(nameof(SwitchRequireConfig.MinStatusMatch), Ratio),
                    MaxLatencyRatioP99 = r.Read(nameof(SwitchRequireConfig.MaxLatencyRatioP99), Ratio),
                })
                : null,
        };
    }

    private TargetConfig ReadTarget(Section s)
    {
        var d = new TargetConfig();
        var address = s.String(nameof(d.Address)) ?? "";
        var port = s.Read(nameof(d.Port), Int);
        var scheme = (s.String(nameof(d.Scheme)) ?? d.Scheme).ToLowerInvariant();
        return new TargetConfig
        {
            Address = address,
            Scheme = scheme,
            Port = port ?? (scheme == "http" ? 80 : 443),
            ServerName = NullIfEmpty(s.String(nameof(d.ServerName))),
            CaFile = NullIfEmpty(s.String(nameof(d.CaFile))),
            AllowInvalidCertificate = s.Read(nameof(d.AllowInvalidCertificate), Bool) ?? d.AllowInvalidCertificate,
            Timeout = s.Read(nameof(d.Timeout), Duration) ?? d.Timeout,
            RequestTimeout = s.Read(nameof(d.RequestTimeout), Duration) ?? d.RequestTimeout,
            HealthPath = s.String(nameof(d.HealthPath)) ?? d.HealthPath,
            ProxyProtocol = (s.String(nameof(d.ProxyProtocol)) ?? d.ProxyProtocol).ToLowerInvariant(),
        };
    }

    private DnsExpectationConfig ReadDns(Section s)
    {
        var d = new DnsExpectationConfig();
        return new DnsExpectationConfig
        {
            Types = s.Has(nameof(d.Types)) ? s.Strings(nameof(d.Types)) : d.Types,
            Expect = s.Strings(nameof(d.Expect)),
            ExpectCname = s.Strings(nameof(d.ExpectCname)),
            PreviousNameServers = s.Strings(nameof(d.PreviousNameServers)),
            ParentNameServers = s.Strings(nameof(d.ParentNameServers)),
        };
    }

    private DrainConfig ReadDrain(Section s)
    {
        var d = new DrainConfig();
        return new DrainConfig
        {
            QuietPeriod = s.Read(nameof(d.QuietPeriod), Duration) ?? d.QuietPeriod,
            Threshold = s.Read(nameof(d.Threshold), Long) ?? d.Threshold,
            Nudge = s.Read(nameof(d.Nudge), Bool) ?? d.Nudge,
            WebSocketGrace = s.Read(nameof(d.WebSocketGrace), Duration) ?? d.WebSocketGrace,
            IdleNudge = s.Read(nameof(d.IdleNudge), Duration) ?? d.IdleNudge,
            Exclude = s.Nested(nameof(d.Exclude), e => new ExcludeConfig
            {
                Paths = e.Strings(nameof(ExcludeConfig.Paths)),
                UserAgents = e.Strings(nameof(ExcludeConfig.UserAgents)),
                ClientCidrs = e.Strings(nameof(ExcludeConfig.ClientCidrs)),
            }),
        };
    }

    private LimitsConfig ReadLimits(Section s)
    {
        var d = new LimitsConfig();
        return new LimitsConfig
        {
            MaxConnections = s.Read(nameof(d.MaxConnections), Int) ?? d.MaxConnections,
            MaxRequestHeadersBytes = s.Read(nameof(d.MaxRequestHeadersBytes), Int) ?? d.MaxRequestHeadersBytes,
            RequestHeadersTimeout = s.Read(nameof(d.RequestHeadersTimeout), Duration) ?? d.RequestHeadersTimeout,
            KeepAliveTimeout = s.Read(nameof(d.KeepAliveTimeout), Duration) ?? d.KeepAliveTimeout,
            ShutdownTimeout = s.Read(nameof(d.ShutdownTimeout), Duration) ?? d.ShutdownTimeout,
        };
    }

    private StateConfig ReadState(Section s)
    {
        var d = new StateConfig();
        return new StateConfig
        {
            Provider = NullIfEmpty(s.String(nameof(d.Provider)))?.ToLowerInvariant() ?? d.Provider,
            Path = s.String(nameof(d.Path)) ?? d.Path,
            ConnectionString = NullIfEmpty(s.String(nameof(d.ConnectionString))),
        };
    }

    private LoggingConfig ReadLogging(Section s)
    {
        var d = new LoggingConfig();
        return new LoggingConfig
        {
            AccessLog = s.Read(nameof(d.AccessLog), Bool) ?? d.AccessLog,
            BufferEvents = s.Read(nameof(d.BufferEvents), Int) ?? d.BufferEvents,
        };
    }

    private static bool Exists(IConfigurationSection s) => s.Value is not null || s.GetChildren().Any();

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Array children ordered by index ("0", "1", "10"), as JSON and DNSBRIDGE__X__0 variables both give them.</summary>
    private static IEnumerable<IConfigurationSection> Items(IConfigurationSection s) =>
        s.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue);

    private T ReadSection<T>(IConfigurationSection raw, Func<Section, T> read)
    {
        var section = new Section(this, raw);
        var value = read(section);
        CheckKeys(raw, section.Known);
        return value;
    }

    private List<T> ReadArray<T>(IConfigurationSection s, Func<Section, T> read)
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

            result.Add(ReadSection(item, read));
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

    private void CheckKeys(IConfigurationSection s, IReadOnlyList<string> known)
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

    private string? String(IConfigurationSection child)
    {
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
    private T? Read<T>(IConfigurationSection child, Scalar<T> scalar)
        where T : struct
    {
        var raw = String(child);
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (scalar.Parse(raw) is { } value)
        {
            return value;
        }

        Error(child.Path, $"must be {scalar.Expected}, got '{raw}'");
        return null;
    }

    private void Error(string path, string message) => _errors.Add(new ConfigError(path, message));

    private sealed record Scalar<T>(Func<string, T?> Parse, string Expected)
        where T : struct;

    /// <summary>
    /// One section being read. The keys a section knows are exactly the keys its reader asks for, so each key is
    /// written once (as the <c>nameof</c> of its config property) and the "unknown key" check, the docs test and
    /// the schema test can never disagree with what is read.
    /// </summary>
    private sealed class Section(ConfigReader reader, IConfigurationSection raw)
    {
        private readonly List<string> _known = [];

        public IReadOnlyList<string> Known => _known;

        public bool Has(string key) => Exists(Child(key));

        public IConfigurationSection Child(string key)
        {
            if (!_known.Contains(key, StringComparer.Ordinal))
            {
                _known.Add(key);
            }

            return raw.GetSection(key);
        }

        public string? String(string key) => reader.String(Child(key));

        public T? Read<T>(string key, Scalar<T> scalar)
            where T : struct => reader.Read(Child(key), scalar);

        public List<string> Strings(string key) => reader.ReadStrings(Child(key));

        public T Nested<T>(string key, Func<Section, T> read) => reader.ReadSection(Child(key), read);

        public List<T> List<T>(string key, Func<Section, T> read) => reader.ReadArray(Child(key), read);
    }
}
