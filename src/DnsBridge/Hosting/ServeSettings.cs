using DnsBridge.Configuration;

namespace DnsBridge.Hosting;

/// <summary>What <c>serve</c> (and <c>demo</c> and the tests) start DnsBridge with.</summary>
internal sealed record ServeSettings
{
    public required DnsBridgeConfig Config { get; init; }

    public required ConfigSource Source { get; init; }

    public LogFormat LogFormat { get; init; } = LogFormat.Json;

    public Serilog.Events.LogEventLevel LogLevel { get; init; } = Serilog.Events.LogEventLevel.Information;

    /// <summary>False keeps stdout quiet (the tests capture events with <see cref="ConfigureLogging"/> instead).</summary>
    public bool WriteToConsole { get; init; } = true;

    /// <summary>Replaces services after the defaults (tests inject a fake <see cref="TimeProvider"/> this way).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Extra Serilog sinks (tests capture log events to assert that no secret is written).</summary>
    public Action<Serilog.LoggerConfiguration>? ConfigureLogging { get; init; }
}
