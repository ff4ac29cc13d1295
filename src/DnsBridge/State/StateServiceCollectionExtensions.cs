using DnsBridge.Configuration;
using Prometheus;

namespace DnsBridge.State;

internal static class StateServiceCollectionExtensions
{
    /// <summary>The state stores (opened on first use from the config at start) and each store's interface.</summary>
    public static IServiceCollection AddState(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var stores = StateStores.Open(sp.GetRequiredService<ConfigMonitor>().Current.State, sp.GetRequiredService<ILoggerFactory>(), sp.GetService<ILeaderTerm>());

            // Read at scrape time, so the metric says what readiness says, with no timer of its own.
            var failing = sp.GetRequiredService<IMetricFactory>().CreateGauge("dnsbridge_state_store_failing",
                "1 while the last write to the state store failed (read-only, full or locked); counts are kept in memory until it recovers.");
            sp.GetRequiredService<CollectorRegistry>().AddBeforeCollectCallback(() => failing.Set(stores.Database.Problem() is null ? 0 : 1));
            return stores;
        });

        // Every interface from the one holder: one database and one connection, whichever store is asked for.
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Database);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Statuses);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Events);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().ResidualHistory);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().PropagationHistory);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Delegations);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Cluster);
        services.AddSingleton(sp => sp.GetRequiredService<StateStores>().Phases);
        return services;
    }
}
