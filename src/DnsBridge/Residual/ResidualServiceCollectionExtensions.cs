using DnsBridge.Configuration;
using DnsBridge.State;

namespace DnsBridge.Residual;

internal static class ResidualServiceCollectionExtensions
{
    /// <summary>Residual accounting: counters per cutover, written on the request path, read by drain and admin, flushed to the history.</summary>
    public static IServiceCollection AddResidual(this IServiceCollection services)
    {
        services.AddSingleton<ResidualMetrics>();
        services.AddSingleton<ResidualAccounting>();
        services.AddSingleton(sp => new ClusterResidual(sp.GetRequiredService<ResidualAccounting>(), sp.GetRequiredService<IClusterStore>(),
            sp.GetRequiredService<ConfigMonitor>().Current.Cluster.ReplicaName));
        services.AddSingleton<ResidualHistoryWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<ResidualHistoryWriter>());
        return services;
    }
}
