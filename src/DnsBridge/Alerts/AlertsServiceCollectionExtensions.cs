namespace DnsBridge.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>The webhook dispatcher, delivering the state store's outbox.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp));
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
