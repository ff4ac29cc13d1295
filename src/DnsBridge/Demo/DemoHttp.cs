using System.Net;

namespace DnsBridge.Demo;

/// <summary>A small Kestrel server of the demo (the target, the webhook receiver).</summary>
public sealed class DemoHttp : IAsyncDisposable
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
