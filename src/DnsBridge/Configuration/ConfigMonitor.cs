using System.Text.Json;
using DnsBridge.Configuration.Validation;
using Microsoft.Extensions.Primitives;
using Prometheus;

namespace DnsBridge.Configuration;

/// <summary>
/// Holds the running <see cref="DnsBridgeConfig"/> and swaps it when the watched file changes. An invalid edit is
/// logged and counted, and the running configuration stays.
/// </summary>
/// <remarks>
/// File-change notification misses the ways a file is changed in containers: an edit on the host of a file
/// bind-mounted alone, a rename into a mounted directory seen from another mount namespace, and a Kubernetes ConfigMap
/// update (a swap of the dot-named <c>..data</c> symlink, which the file provider ignores). So the file's content is
/// also compared every <see cref="FileCheckInterval"/>, through any symlinks, and a difference reloads.
/// </remarks>
internal sealed partial class ConfigMonitor : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly string _baseDirectory;
    private readonly ILogger<ConfigMonitor> _logger;
    private readonly Counter _reloads;
    private readonly IDisposable? _subscription;
    private readonly string? _file;
    private readonly Timer? _fileCheck;
    private byte[]? _fileHash;
    private readonly Lock _gate = new();
    private readonly string _boundAdmin;
    private string _fingerprint;
    private string? _lastFailure;
    private volatile DnsBridgeConfig _current;

    public ConfigMonitor(DnsBridgeConfig initial, IConfiguration configuration, ConfigSource source, IMetricFactory metrics, ILogger<ConfigMonitor> logger)
    {
        _current = initial;
        _boundAdmin = initial.Listen.Admin;
        _fingerprint = Fingerprint(initial);
        _configuration = configuration;
        _baseDirectory = ConfigLoader.BaseDirectory(source.File);
        _logger = logger;
        _reloads = metrics.CreateCounter("dnsbridge_config_reloads_total", "Configuration reloads by outcome (success, failure).", ["outcome"]);
        _reloads.WithLabels("success").Publish();
        _reloads.WithLabels("failure").Publish();
        LoadErrors = source.LoadErrors;
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, () => Reload());
        if (source.File is not null && configuration is IConfigurationRoot root)
        {
            _file = Path.GetFullPath(source.File);
            _fileHash = HashOfFile(_file);
            _fileCheck = new Timer(_ => CheckFile(root), null, FileCheckInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>How often the file's content is compared; reading a few KiB that often costs nothing.</summary>
    public static TimeSpan FileCheckInterval { get; } = TimeSpan.FromSeconds(2);

    public DnsBridgeConfig Current => _current;

    /// <summary>Raised after a valid change was applied, with the previous and the new configuration.</summary>
    public event Action<DnsBridgeConfig, DnsBridgeConfig>? Changed;

    private ConfigLoadErrors LoadErrors { get; }

    /// <summary>Re-reads the configuration sources; also called by the file watcher.</summary>
    public bool Reload()
    {
        lock (_gate)
        {
            if (LoadErrors.TakeLast() is { } loadError)
            {
                var detail = loadError.InnerException?.Message ?? loadError.Message;
                return Reject([new ConfigError("config file", $"not valid JSON: {detail}")]);
            }

            var (config, errors) = ConfigLoader.Read(_configuration, _baseDirectory);
            if (errors.Count > 0)
            {
                return Reject(errors);
            }

            // The admin listener stays where it was bound until a restart, whatever the edit says: a token taken
            // away is judged against that address, or an edit to 127.0.0.1 without a token would open 0.0.0.0.
            if (ListenValidator.AdminNeedsToken(_boundAdmin, config.Listen))
            {
                return Reject([new ConfigError($"{DnsBridgeConfig.SectionName}:Listen:AdminToken",
                    $"is required until a restart: the admin listener runs on '{_boundAdmin}', which {ListenValidator.OpenAdminProblem}")]);
            }

            _lastFailure = null;

            var fingerprint = Fingerprint(config);
            if (fingerprint == _fingerprint)
            {
                // File watchers fire several times per save; an unchanged result is not a reload.
                return true;
            }

            var previous = _current;
            // The listeners and Kestrel's limits are bound at start; the admin token is read per request, and
            // AllowAnonymousAdmin only by validation.
            var restartOnly = new List<string>(2);
            if (previous.Listen with { AdminToken = null, AllowAnonymousAdmin = false } != config.Listen with { AdminToken = null, AllowAnonymousAdmin = false })
            {
                restartOnly.Add("Listen");
            }

            if (previous.Limits != config.Limits)
            {
                restartOnly.Add("Limits");
            }

            if (restartOnly.Count > 0)
            {
                LogNeedsRestart(_logger, string.Join(" and ", restartOnly));
            }

            _fingerprint = fingerprint;
            _current = config;
            _reloads.WithLabels("success").Inc();
            LogReloaded(_logger, config.Cutovers.Count);
            Changed?.Invoke(previous, config);
            return true;
        }
    }

    private bool Reject(IReadOnlyList<ConfigError> errors)
    {
        // One broken save raises several watcher events; count and log it once.
        var failure = string.Join('\n', errors);
        if (failure == _lastFailure)
        {
            return false;
        }

        _lastFailure = failure;
        _reloads.WithLabels("failure").Inc();
        foreach (var error in errors)
        {
            LogReloadRejected(_logger, error.Path, error.Message);
        }

        return false;
    }

    private void CheckFile(IConfigurationRoot root)
    {
        try
        {
            // Null while the file is missing or unreadable (mid-swap): the next check sees the result.
            if (HashOfFile(_file!) is { } hash && (_fileHash is null || !hash.AsSpan().SequenceEqual(_fileHash)))
            {
                _fileHash = hash;
                LogFileChanged(_logger, _file!);

                // Re-reads every source and raises the reload token, which lands in Reload() like a watcher event.
                root.Reload();
            }
        }
        catch (IOException e)
        {
            // Gone again between the read and the reload: the next check tries once more.
            _fileHash = null;
            LogFileCheckFailed(_logger, _file!, e.Message);
        }
        finally
        {
            try
            {
                _fileCheck?.Change(FileCheckInterval, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static byte[]? HashOfFile(string file)
    {
        try
        {
            return System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Fingerprint(DnsBridgeConfig config) => JsonSerializer.Serialize(config, ConfigJsonContext.Default.DnsBridgeConfig);

    public void Dispose()
    {
        _fileCheck?.Dispose();
        _subscription?.Dispose();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Configuration reloaded: {CutoverCount} cutovers")]
    private static partial void LogReloaded(ILogger logger, int cutoverCount);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Configuration change rejected, the running configuration stays: {Path}: {Problem}")]
    private static partial void LogReloadRejected(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Sections} changed in the configuration and take effect at the next restart; the rest of the edit applies now")]
    private static partial void LogNeedsRestart(ILogger logger, string sections);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "The content of {File} changed: reloading")]
    private static partial void LogFileChanged(ILogger logger, string file);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Could not reload the changed {File}, trying again: {Problem}")]
    private static partial void LogFileCheckFailed(ILogger logger, string file, string problem);
}
