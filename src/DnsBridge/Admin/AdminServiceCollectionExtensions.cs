namespace DnsBridge.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>What the admin listener serves besides metrics and health: the cutover views and reports.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<CutoverView>();
        services.AddSingleton<CutoverReport>();
        services.AddSingleton<WaveReport>();
        return services;
    }
}
