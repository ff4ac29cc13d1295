using DnsBridge.Configuration;

namespace DnsBridge.Cluster;

public static class ClusterServiceCollectionExtensions
{
    /// <summary>The leadership (elected over PostgreSQL, or always this replica with SQLite) and the membership heartbeat.</summary>
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddSingleton<ILeadership>(sp => new SingleInstance(sp.GetRequiredService<ConfigMonitor>().Current.Cluster.ReplicaName));
        services.AddSingleton<ClusterMembership>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterMembership>());
        return services;
    }
}
