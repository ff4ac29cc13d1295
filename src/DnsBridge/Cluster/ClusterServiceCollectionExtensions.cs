using DnsBridge.Configuration;

namespace DnsBridge.Cluster;

public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// The leadership (elected over PostgreSQL's advisory lock, or always this replica with SQLite) and the membership
    /// heartbeat. Read at start: the provider and the replica name do not change on a reload.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddSingleton<ILeadership>(sp =>
        {
            var config = sp.GetRequiredService<ConfigMonitor>().Current;
            var replica = config.Cluster.ReplicaName;
            if (!config.State.IsPostgres)
            {
                return new SingleInstance(replica);
            }

            var connectionString = config.State.ConnectionString!;
            return new LeaderElection(replica, ct => PostgresLockSession.OpenAsync(connectionString, replica, ct),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaderElection>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<ILeadership>() as LeaderElection ?? (IHostedService)new NoElection());
        services.AddSingleton<ClusterMembership>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterMembership>());
        return services;
    }

    /// <summary>A single instance elects nothing.</summary>
    private sealed class NoElection : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
