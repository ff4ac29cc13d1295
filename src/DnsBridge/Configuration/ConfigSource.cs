namespace DnsBridge.Configuration;

/// <summary>Where the configuration came from: the file given with --config (null: environment only).</summary>
internal sealed record ConfigSource(string? File)
{
    public ConfigLoadErrors LoadErrors { get; } = new();
}

/// <summary>
/// A watched JSON file that fails to parse on reload would throw on the watcher's thread; the provider is told to
/// ignore it and the error lands here, so the monitor can report it and keep the running configuration.
/// </summary>
internal sealed class ConfigLoadErrors
{
    private Exception? _last;

    public void Set(Exception e) => Interlocked.Exchange(ref _last, e);

    public Exception? TakeLast() => Interlocked.Exchange(ref _last, null);
}
