using DnsBridge.Drain;

namespace DnsBridge.Forwarding;

internal static class ForwardingServiceCollectionExtensions
{
    /// <summary>The HTTP forwarder: route table, target handlers, nudging, WebSocket tracking and target health.</summary>
    public static IServiceCollection AddForwarding(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<ForwardingMetrics>();
        services.AddSingleton<RouteTableProvider>();
        services.AddSingleton<ProxyCertificates>();
        services.AddSingleton<NudgeRegistry>();
        services.AddSingleton<IDrainObserver>(sp => sp.GetRequiredService<NudgeRegistry>());
        services.AddSingleton<TargetHealthRegistry>();
        services.AddSingleton<TargetHealthMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<TargetHealthMonitor>());
        services.AddSingleton<WebSocketNudger>();
        return services;
    }
}
