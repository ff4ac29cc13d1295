namespace DnsBridge.Configuration;

/// <summary>One problem in the configuration, with the key path that holds it (<c>DnsBridge:Cutovers:0:Target:Port</c>).</summary>
internal sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Thrown when a configuration cannot be used; carries every problem found.</summary>
internal sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ConfigException()
        : this([])
    {
    }

    public ConfigException(string message)
        : this([new ConfigError(DnsBridgeConfig.SectionName, message)])
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ConfigError(DnsBridgeConfig.SectionName, message)];
    }

    public IReadOnlyList<ConfigError> Errors { get; } = [];
}
