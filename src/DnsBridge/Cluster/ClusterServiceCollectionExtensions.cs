using DnsBridge.Configuration;

namespace DnsBridge.Cluster;

internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// The leadership (elected over PostgreSQL's advisory lock, or always this replica with SQLite) and the membership
    /// heartbeat. From the config at start: the provider and the replica name do not change on a reload.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, DnsBridgeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var replica = config.Cluster.ReplicaName;
        if (config.State.IsPostgres)
        {
            var connectionString = config.State.ConnectionString!;
            services.AddSingleton(sp => new LeaderElection(replica, ct => PostgresLockSession.OpenAsync(connectionString, replica, ct),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaderElection>>()));
            services.AddSingleton<ILeadership>(sp => sp.GetRequiredService<LeaderElection>());

            // The shared store refuses the leader's writes once another replica took office.
            services.AddSingleton<DnsBridge.State.ILeaderTerm>(sp => sp.GetRequiredService<LeaderElection>());
            services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        }
        else
        {
            services.AddSingleton<ILeadership>(new SingleInstance(replica));
        }

        services.AddSingleton(sp => new DatabaseClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ClusterMembership>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterMembership>());
        return services;
    }
}
