namespace DnsBridge.Connections;

internal static class ConnectionsServiceCollectionExtensions
{
    /// <summary>Connection forwarding: TLS passthrough by SNI, TCP port forwards, PROXY protocol, idle nudge.</summary>
    public static IServiceCollection AddConnectionForwarding(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionMetrics>();
        services.AddSingleton<ConnectionForwarder>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionForwarder>());
        services.AddSingleton<ProxyProtocolConnectionMiddleware>();
        return services;
    }
}
