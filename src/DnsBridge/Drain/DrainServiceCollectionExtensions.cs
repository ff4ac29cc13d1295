using DnsBridge.Propagation;

namespace DnsBridge.Drain;

internal static class DrainServiceCollectionExtensions
{
    /// <summary>The drain detector (fed by propagation snapshots and residual counters) and the event journal.</summary>
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.AddSingleton<EventJournal>();
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<IPropagationListener>(sp => sp.GetRequiredService<DrainDetector>());
        services.AddHostedService(sp => sp.GetRequiredService<DrainDetector>());
        return services;
    }
}
