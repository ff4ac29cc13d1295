using DnsBridge.Configuration;
using DnsBridge.State;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DnsBridge.Mirror;

internal static class MirrorServiceCollectionExtensions
{
    /// <summary>Copies of rehearsal requests to the target, their comparison over every replica, and what the switch gate reads of it.</summary>
    public static IServiceCollection AddMirror(this IServiceCollection services)
    {
        services.AddSingleton<MirrorMetrics>();
        services.AddSingleton<SpareCapacity>();
        services.AddSingleton<MirrorRegistry>();
        services.AddSingleton(sp => new ClusterMirror(sp.GetRequiredService<MirrorRegistry>(), sp.GetRequiredService<IClusterStore>(),
            sp.GetRequiredService<ConfigMonitor>().Current.Cluster.ReplicaName, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IMirrorReadiness>(sp => sp.GetRequiredService<ClusterMirror>());
        services.AddSingleton<MirrorResultsWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<MirrorResultsWriter>());
        return services;
    }
}
