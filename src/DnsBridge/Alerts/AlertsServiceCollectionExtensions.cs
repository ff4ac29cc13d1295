using DnsBridge.Cluster;
using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Alerts;

internal static class AlertsServiceCollectionExtensions
{
    /// <summary>The webhook dispatcher, delivering the state store's outbox through <see cref="WebhookHandler"/>, and the outbox's gauges.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            OutboxGauges.Register(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IMetricFactory>(), sp.GetRequiredService<CollectorRegistry>(),
                sp.GetRequiredService<TimeProvider>());
            // Claim leases on the clock the replicas agree on (the database's), not on each replica's own.
            return ActivatorUtilities.CreateInstance<OutboxDispatcher>(sp, WebhookHandler.Create(), sp.GetRequiredService<DatabaseClock>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
