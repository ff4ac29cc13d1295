using DnsBridge.Alerts;
using DnsBridge.Propagation;

namespace DnsBridge.Drain;

public static class DrainServiceCollectionExtensions
{
    /// <summary>Drain detector and alert outbox.</summary>
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<IPropagationListener>(sp => sp.GetRequiredService<DrainDetector>());
        services.AddHostedService(sp => sp.GetRequiredService<DrainDetector>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp));
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
