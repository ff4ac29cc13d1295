using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Hosting;
using DnsBridge.Propagation;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Drain;

public static class DrainServiceCollectionExtensions
{
    /// <summary>State store, drain detector and alert outbox.</summary>
    public static IServiceCollection AddDrain(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var store = new StateStore(sp.GetRequiredService<ConfigMonitor>().Current.State, sp.GetRequiredService<ILogger<StateStore>>());

            // Read at scrape time, so the metric says what readiness says, with no timer of its own.
            var failing = sp.GetRequiredService<IMetricFactory>().CreateGauge("dnsbridge_state_store_failing",
                "1 while the last write to the state store failed (read-only, full or locked); counts are kept in memory until it recovers.");
            sp.GetRequiredService<CollectorRegistry>().AddBeforeCollectCallback(() => failing.Set(store.Problem() is null ? 0 : 1));
            return store;
        });
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<StateStore>());
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<IPropagationListener>(sp => sp.GetRequiredService<DrainDetector>());
        services.AddHostedService(sp => sp.GetRequiredService<DrainDetector>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp));
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
