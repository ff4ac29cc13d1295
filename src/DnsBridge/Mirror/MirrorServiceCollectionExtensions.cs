using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DnsBridge.Mirror;

internal static class MirrorServiceCollectionExtensions
{
    /// <summary>Copies of rehearsal requests to the target, their comparison, and what the switch gate reads of it.</summary>
    public static IServiceCollection AddMirror(this IServiceCollection services)
    {
        services.AddSingleton<MirrorMetrics>();
        services.AddSingleton<MirrorRegistry>();
        services.TryAddSingleton<IMirrorReadiness>(sp => sp.GetRequiredService<MirrorRegistry>());
        return services;
    }
}
