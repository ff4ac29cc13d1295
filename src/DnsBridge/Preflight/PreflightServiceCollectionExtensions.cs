namespace DnsBridge.Preflight;

internal static class PreflightServiceCollectionExtensions
{
    /// <summary>The preflight checklist behind <c>/api/cutovers/{name}/preflight</c>; its DNS rows when propagation provides them.</summary>
    public static IServiceCollection AddPreflight(this IServiceCollection services)
    {
        services.AddSingleton(sp => new PreflightRunner(sp.GetRequiredService<TimeProvider>(), sp.GetService<IPreflightDnsChecks>(), sp.GetService<DnsBridge.Mirror.IMirrorReadiness>()));
        return services;
    }
}
