
namespace DnsBridge.Configuration;

/// <summary>Builds the configuration sources (JSON file, then DNSBRIDGE__ environment variables) and turns them into a checked <see cref="DnsBridgeConfig"/>.</summary>
internal static class ConfigLoader
{
    /// <summary>Adds the file (watched when <paramref name="watch"/>) and the environment variables.</summary>
    public static IConfigurationBuilder AddDnsBridgeSources(this IConfigurationBuilder builder, string? configFile, bool watch, ConfigLoadErrors? loadErrors = null)
    {
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            builder.Add<IndexedJsonConfigurationSource>(source =>
            {
                source.FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!);
                source.Path = Path.GetFileName(full);
                source.Optional = false;
                source.ReloadOnChange = watch;
                source.ReloadDelay = 100;
                if (loadErrors is not null)
                {
                    source.OnLoadException = context =>
                    {
                        loadErrors.Set(context.Exception);
                        context.Ignore = true;
                    };
                }
            });
        }

        // No prefix stripping: DNSBRIDGE__Cutovers__0__Target__Address becomes DNSBRIDGE:Cutovers:0:Target:Address,
        // which is the DnsBridge section (keys are case-insensitive).
        return builder.AddEnvironmentVariables();
    }

    /// <summary>Reads and validates; a missing or malformed file is reported as a config error, not thrown.</summary>
    public static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string? configFile, IConfiguration? extra = null)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            return (new DnsBridgeConfig(), [new ConfigError("--config", $"file not found: {Path.GetFullPath(configFile)}")]);
        }

        IConfiguration configuration;
        try
        {
            var builder = new ConfigurationBuilder().AddDnsBridgeSources(configFile, watch: false);
            if (extra is not null)
            {
                builder.AddConfiguration(extra);
            }

            configuration = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            return (new DnsBridgeConfig(), [new ConfigError(configFile ?? "--config", $"not valid JSON: {Describe(e)}")]);
        }

        return Read(configuration, BaseDirectory(configFile));
    }

    public static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Read(IConfiguration configuration, string baseDirectory)
    {
        var (raw, readErrors) = ConfigReader.Read(configuration);
        var (config, semanticErrors) = ConfigValidator.Validate(raw, baseDirectory);
        return (config, [.. readErrors, .. semanticErrors]);
    }

    public static string BaseDirectory(string? configFile) =>
        configFile is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(configFile))!;

    private static string Describe(Exception e) => e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
}
