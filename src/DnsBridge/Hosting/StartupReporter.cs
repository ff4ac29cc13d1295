using DnsBridge.Configuration;
using DnsBridge.Listeners;

namespace DnsBridge.Hosting;

/// <summary>Says once, at start, where DnsBridge listens and what it forwards.</summary>
internal sealed partial class StartupReporter(IHostApplicationLifetime lifetime, ListenerEndpoints ports, ConfigMonitor config, ILogger<StartupReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            LogListening(logger, ports.ProxyEndPoint?.ToString() ?? "?", ports.AdminEndPoint?.ToString() ?? "?");
            // Validation refuses this unless Listen:AllowAnonymousAdmin says so; then it is said once, loudly.
            if (ports.AdminEndPoint is { } admin && !ConfigParsers.IsLoopback(admin.Address) && config.Current.Listen.AdminToken is null)
            {
                LogOpenAdmin(logger, admin.ToString());
            }

            foreach (var cutover in config.Current.Cutovers)
            {
                LogCutover(logger, cutover.Name, string.Join(", ", cutover.Hosts), cutover.Target.Scheme, cutover.Target.Address, cutover.Target.Port);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "DnsBridge listening: proxy {ProxyEndpoint}, admin http://{AdminEndpoint}/ (status page, /metrics)")]
    private static partial void LogListening(ILogger logger, string proxyEndpoint, string adminEndpoint);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The admin listener {AdminEndpoint} is not on loopback and Listen:AdminToken is not set (Listen:AllowAnonymousAdmin is true): anyone who reaches it can read the API, client IPs and user agents included, and /metrics, and start preflight checks")]
    private static partial void LogOpenAdmin(ILogger logger, string adminEndpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Cutover {Cutover}: {Hosts} -> {Scheme}://{Address}:{Port}")]
    private static partial void LogCutover(ILogger logger, string cutover, string hosts, string scheme, string address, int port);
}
