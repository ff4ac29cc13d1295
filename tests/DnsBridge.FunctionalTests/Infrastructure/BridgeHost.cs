using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;
using DnsBridge.Hosting;
using DnsBridge.Listeners;
using Serilog.Core;
using Serilog.Events;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real DnsBridge (Kestrel proxy and admin listeners on 127.0.0.1, ephemeral ports) started in-process from a
/// real config file in a temp directory, so reload tests can edit the file as a user would.
/// </summary>
internal sealed class BridgeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BridgeHost(WebApplication app, string directory, string configPath, LogCapture logs)
    {
        _app = app;
        Directory = directory;
        ConfigPath = configPath;
        Logs = logs;
        var ports = app.Services.GetRequiredService<ListenerEndpoints>();
        ProxyEndPoint = ports.ProxyEndPoint!;
        AdminEndPoint = ports.AdminEndPoint!;
        PassthroughEndPoint = app.Services.GetRequiredService<DnsBridge.Connections.ConnectionForwarder>().PassthroughEndPoint;
    }

    /// <summary>The TLS passthrough listener, when the test configured <c>Listen:Passthrough</c>.</summary>
    public IPEndPoint? PassthroughEndPoint { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    public LogCapture Logs { get; }

    public IPEndPoint ProxyEndPoint { get; }

    public IPEndPoint AdminEndPoint { get; }

    public Uri ProxyUri => new($"http://{ProxyEndPoint}/");

    public Uri AdminUri => new($"http://{AdminEndPoint}/");

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts DnsBridge with the given <c>DnsBridge</c> section (an anonymous object or JsonObject). Listen
    /// addresses default to 127.0.0.1:0, the state store to the temp directory, propagation to off.
    /// </summary>
    public static async Task<BridgeHost> StartAsync(object dnsBridgeSection, Action<IServiceCollection>? services = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "dnsbridge-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, "dnsbridge.json");
        await File.WriteAllTextAsync(configPath, Render(dnsBridgeSection, directory));

        var (config, errors) = ConfigLoader.Load(configPath);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("test config invalid:\n" + string.Join('\n', errors));
        }

        var logs = new LogCapture();
        var app = DnsBridgeApplication.Build(new ServeSettings
        {
            Config = config,
            Source = new ConfigSource(configPath),
            LogFormat = LogFormat.Text,
            WriteToConsole = false,
            ConfigureServices = services,
            ConfigureLogging = l => l.WriteTo.Sink(logs),
        });
        await app.StartAsync();
        return new BridgeHost(app, directory, configPath, logs);
    }

    /// <summary>The JSON written to the config file: the section plus test defaults for listeners, state and propagation.</summary>
    public static string Render(object dnsBridgeSection, string directory)
    {
        var section = dnsBridgeSection as JsonObject ?? JsonSerializer.SerializeToNode(dnsBridgeSection)!.AsObject();
        section["Listen"] ??= new JsonObject { ["Proxy"] = "http://127.0.0.1:0", ["Admin"] = "http://127.0.0.1:0" };
        section["State"] ??= new JsonObject { ["Path"] = Path.Combine(directory, "dnsbridge.db") };
        section["Propagation"] ??= new JsonObject { ["Enabled"] = false };
        section["Resolvers"] ??= new JsonObject { ["Preset"] = "none", ["Authoritative"] = false, ["Custom"] = new JsonArray(new JsonObject { ["Name"] = "none", ["Address"] = "127.0.0.1:9" }) };
        return new JsonObject { ["DnsBridge"] = section }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Rewrites the config file in place and waits until the running config has taken it (or failed to).</summary>
    public async Task<bool> EditConfigAsync(object dnsBridgeSection, bool expectSuccess = true)
    {
        var monitor = Services.GetRequiredService<ConfigMonitor>();
        var reloads = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(DnsBridgeConfig a, DnsBridgeConfig b) => reloads.TrySetResult(true);
        monitor.Changed += OnChanged;
        try
        {
            var before = Metric("dnsbridge_config_reloads_total", ("outcome", "failure"));
            await File.WriteAllTextAsync(ConfigPath, dnsBridgeSection as string ?? Render(dnsBridgeSection, Directory));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            if (expectSuccess)
            {
                await reloads.Task.WaitAsync(timeout.Token);
                return true;
            }

            while (Metric("dnsbridge_config_reloads_total", ("outcome", "failure")) <= before)
            {
                await Task.Delay(50, timeout.Token);
            }

            return false;
        }
        finally
        {
            monitor.Changed -= OnChanged;
        }
    }

    public HttpClient CreateAdminClient() => new() { BaseAddress = AdminUri };

    /// <summary>The value of one series, read from this instance's registry through the real /metrics text.</summary>
    public double Metric(string name, params (string Label, string Value)[] labels)
    {
        using var client = CreateAdminClient();
        var text = client.GetStringAsync("/metrics").GetAwaiter().GetResult();
        return MetricsText.Value(text, name, labels);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Captures log events in memory so tests can assert what is (and is never) logged.</summary>
internal sealed class LogCapture : ILogEventSink
{
    private readonly List<LogEvent> _events = [];

    public void Emit(LogEvent logEvent)
    {
        lock (_events)
        {
            _events.Add(logEvent);
        }
    }

    public IReadOnlyList<LogEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>A scalar property of an event as plain text (null when absent).</summary>
    public static string? Property(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) ? (value is ScalarValue s ? Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture) : value.ToString()) : null;

    /// <summary>
    /// Every rendered message, every property of each event (structured, sequence and dictionary values rendered in
    /// full, including those the message template does not show: scopes, source context) and the exception, to search
    /// for things that must never be logged. A sink that writes JSON writes all of these.
    /// </summary>
    public string AllText => string.Join('\n', Events.Select(Render));

    private static string Render(LogEvent e)
    {
        var text = new System.Text.StringBuilder(e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in e.Properties)
        {
            text.Append(' ').Append(name).Append('=');
            using var writer = new StringWriter(text, System.Globalization.CultureInfo.InvariantCulture);
            value.Render(writer, null, System.Globalization.CultureInfo.InvariantCulture);
        }

        return text.Append(' ').Append(e.Exception).ToString();
    }

    public IEnumerable<string> Messages => Events.Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
}
