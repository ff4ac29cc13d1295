using DnsBridge.Configuration;
using DnsBridge.Propagation.Preflight;

namespace DnsBridge.Propagation;

internal static class PropagationServiceCollectionExtensions
{
    /// <summary>The monitor and its listeners. From the config at start: the state provider does not change on a reload.</summary>
    public static IServiceCollection AddPropagation(this IServiceCollection services, DnsBridgeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        services.AddSingleton<DnsQuerier>();
        services.AddSingleton<PropagationMetrics>();
        services.AddSingleton<IPropagationListener, PropagationHistoryWriter>();

        // Snapshots are stored for followers to read; with SQLite there is one replica, always the leader, and nobody
        // reads them: writing every cutover's snapshot after every pass (17 documents a second with 500 cutovers
        // polled every 30 s) would cost CPU and disk for nothing.
        if (config.State.IsPostgres)
        {
            services.AddSingleton<IPropagationListener, SnapshotPublisher>();
        }

        services.AddSingleton<DnsBridge.Preflight.IPreflightDnsChecks, PreflightDnsChecks>();
        services.AddSingleton<PropagationMonitor>();
        services.AddSingleton<IPropagationView>(sp => sp.GetRequiredService<PropagationMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<PropagationMonitor>());
        return services;
    }
}
