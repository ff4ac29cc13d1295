using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>The webhook dispatcher, delivering the state store's outbox through <see cref="WebhookHandler"/>, and the outbox's gauges.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            OutboxGauges.Register(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IMetricFactory>(), sp.GetRequiredService<CollectorRegistry>(),
                sp.GetRequiredService<TimeProvider>());
            return ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp, WebhookHandler.Create());
        });
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
