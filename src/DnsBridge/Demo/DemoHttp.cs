using System.Net;

namespace DnsBridge.Demo;

/// <summary>A small Kestrel server of the demo (the source app, the target app, the webhook receiver).</summary>
internal sealed class DemoHttp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoHttp(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<DemoHttp> StartAsync(IPAddress address, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, 0, o => listen = o));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new DemoHttp(app, listen!.IPEndPoint!.Port);
    }

    /// <summary>
    /// The shop as the source app and the target app serve it: the same JSON everywhere except
    /// <see cref="DemoScenario.DifferingPath"/>, whose currency the target gets wrong (what the mirrored rehearsal finds).
    /// The side shows in a header, which the comparison leaves alone.
    /// </summary>
    public static void MapShop(WebApplication app, string side)
    {
        app.Map("/products/{id:int}", (HttpContext c, int id) =>
        {
            c.Response.Headers["X-Served-By"] = side;
            return Results.Text($$"""{"id":{{id}},"name":"product {{id}}","price":{{10 + (id % 7)}}.99}""", "application/json");
        });
        app.Map(DemoScenario.DifferingPath, (HttpContext c) =>
        {
            c.Response.Headers["X-Served-By"] = side;
            return Results.Text($$"""{"items":[],"total":0,"currency":"{{(side == "target" ? "USD" : "EUR")}}"}""", "application/json");
        });
        app.Map("/{**path}", (HttpContext c) =>
        {
            c.Response.Headers["X-Served-By"] = side;
            return Results.Text($"ok {c.Request.Host}\n");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
