using DnsBridge.Configuration;

namespace DnsBridge.Listeners;

internal static class ListenersWebApplicationBuilderExtensions
{
    /// <summary>Kestrel's limits from <c>Limits</c> and its endpoints from <c>Listen</c>, by role.</summary>
    public static WebApplicationBuilder AddListeners(this WebApplicationBuilder builder, DnsBridgeConfig config)
    {
        var listeners = new ListenerEndpoints();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = config.Limits;
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = limits.MaxConnections;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestLineSize = Math.Min(limits.MaxRequestHeadersBytes, kestrel.Limits.MaxRequestLineSize);
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            listeners.Configure(kestrel, config.Listen);
        });
        builder.Services.AddSingleton(listeners);
        return builder;
    }
}
