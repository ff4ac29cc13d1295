namespace DnsBridge.Hosting;

/// <summary>Builds the DnsBridge web application (used by <c>serve</c>, <c>demo</c> and the functional tests).</summary>
internal static class DnsBridgeApplication
{
    public static WebApplication Build(ServeSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddDnsBridge(settings);
        var app = builder.Build();
        app.UseDnsBridge();
        return app;
    }
}
