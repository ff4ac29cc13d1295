using DnsBridge.Events;

namespace DnsBridge.Phases;

internal static class PhasesServiceCollectionExtensions
{
    /// <summary>The phase board (read by the request path, the monitor and the drain detector) and its controller.</summary>
    public static IServiceCollection AddPhases(this IServiceCollection services)
    {
        services.AddSingleton<PhaseBoard>();
        services.AddSingleton<ICutoverPhases>(sp => sp.GetRequiredService<PhaseBoard>());
        services.AddSingleton<PhaseController>();
        services.AddHostedService(sp => sp.GetRequiredService<PhaseController>());
        return services;
    }
}
