using DnsBridge.Propagation;

namespace DnsBridge.Drain;

public static class DrainServiceCollectionExtensions
{
    /// <summary>The drain detector: a propagation listener and a hosted service.</summary>
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<IPropagationListener>(sp => sp.GetRequiredService<DrainDetector>());
        services.AddHostedService(sp => sp.GetRequiredService<DrainDetector>());
        return services;
    }
}
