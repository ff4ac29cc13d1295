using DnsBridge.Propagation.Preflight;
namespace DnsBridge.Propagation;

internal static class PropagationServiceCollectionExtensions
{
    public static IServiceCollection AddPropagation(this IServiceCollection services)
    {
        services.AddSingleton<DnsQuerier>();
        services.AddSingleton<PropagationMetrics>();
        services.AddSingleton<IPropagationListener, PropagationHistoryWriter>();
        services.AddSingleton<IPropagationListener, SnapshotPublisher>();
        services.AddSingleton<DnsBridge.Preflight.IPreflightDnsChecks, PreflightDnsChecks>();
        services.AddSingleton<PropagationMonitor>();
        services.AddSingleton<IPropagationView>(sp => sp.GetRequiredService<PropagationMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<PropagationMonitor>());
        return services;
    }
}
