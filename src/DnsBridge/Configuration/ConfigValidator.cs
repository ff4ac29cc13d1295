using DnsBridge.Configuration.Validation;

namespace DnsBridge.Configuration;

/// <summary>
/// Semantic checks the reader cannot make (addresses, names, ranges, cross-cutover rules), and normalisation
/// of host names. Returns every problem found with its key path, section by section in file order.
/// </summary>
internal static class ConfigValidator
{
    public const int MinAdminTokenLength = 16;

    private const string Root = DnsBridgeConfig.SectionName;

    public static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Validate(DnsBridgeConfig config, string baseDirectory)
    {
        var errors = new List<ConfigError>();
        void Error(string path, string message) => errors.Add(new ConfigError(path, message));

        var listen = ListenValidator.Validate(config.Listen, $"{Root}:{nameof(DnsBridgeConfig.Listen)}", baseDirectory, Error);
        var cutovers = CutoverValidator.Validate(config.Cutovers, $"{Root}:{nameof(DnsBridgeConfig.Cutovers)}", baseDirectory, Error);
        ConnectionValidator.Validate(listen, cutovers, $"{Root}:{nameof(DnsBridgeConfig.Listen)}", $"{Root}:{nameof(DnsBridgeConfig.Cutovers)}", Error);
        ResolversValidator.Validate(config.Resolvers, $"{Root}:{nameof(DnsBridgeConfig.Resolvers)}", Error);
        cutovers = DelegationValidator.Validate(cutovers, config.Resolvers, $"{Root}:{nameof(DnsBridgeConfig.Cutovers)}", $"{Root}:{nameof(DnsBridgeConfig.Resolvers)}", Error);
        var propagation = PropagationValidator.Validate(config.Propagation, $"{Root}:{nameof(DnsBridgeConfig.Propagation)}", baseDirectory, Error);
        LimitsValidator.Validate(config.Limits, $"{Root}:{nameof(DnsBridgeConfig.Limits)}", Error);
        if (config.Logging.BufferEvents is < 100 or > 1_000_000)
        {
            Error($"{Root}:{nameof(DnsBridgeConfig.Logging)}:{nameof(LoggingConfig.BufferEvents)}", $"must be 100-1000000, got {config.Logging.BufferEvents}");
        }

        var alerts = AlertsValidator.Validate(config.Alerts, $"{Root}:{nameof(DnsBridgeConfig.Alerts)}", baseDirectory, Error);
        StateValidator.Validate(config.State, $"{Root}:{nameof(DnsBridgeConfig.State)}", Error);
        ClusterValidator.Validate(config.Cluster, $"{Root}:{nameof(DnsBridgeConfig.Cluster)}", Error);
        AddressListValidator.Cidrs(config.TrustedProxies, $"{Root}:{nameof(DnsBridgeConfig.TrustedProxies)}", Error);

        return (config with { Cutovers = cutovers, Listen = listen, Alerts = alerts, Propagation = propagation }, errors);
    }
}
