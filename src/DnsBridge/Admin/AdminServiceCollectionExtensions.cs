namespace DnsBridge.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>What the admin listener serves besides metrics and health: the cutover views and reports.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<CutoverView>();
        services.AddSingleton<CutoverReport>();
        services.AddSingleton<WaveReport>();

        // The API's answers are written from source-generated metadata only, in the JIT build too: the shipped build
        // is Native AOT, where reflection-based serialization is off, so a type missing from the context must fail the
        // tests rather than the container.
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Clear();
            options.SerializerOptions.TypeInfoResolverChain.Add(AdminJsonContext.Default);
        });
        return services;
    }
}
