using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DnsBridge.Mirror;

public static class MirrorServiceCollectionExtensions
{
    /// <summary>What the switch gate reads about mirrored comparisons (nothing mirrored until mirroring registers its own).</summary>
    public static IServiceCollection AddMirror(this IServiceCollection services)
    {
        services.TryAddSingleton<IMirrorReadiness, NoMirrorReadiness>();
        return services;
    }
}
