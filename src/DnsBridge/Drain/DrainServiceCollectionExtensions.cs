using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Hosting;
using DnsBridge.Propagation;
using DnsBridge.State;

namespace DnsBridge.Drain;

public static class DrainServiceCollectionExtensions
{
    /// <summary>State store, drain detector and alert outbox.</summary>
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.AddSingleton(sp => new StateStore(sp.GetRequiredService<ConfigMonitor>().Current.State, sp.GetRequiredService<ILogger<StateStore>>()));
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<StateStore>());
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<IPropagationListener>(sp => sp.GetRequiredService<DrainDetector>());
        services.AddHostedService(sp => sp.GetRequiredService<DrainDetector>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp));
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
