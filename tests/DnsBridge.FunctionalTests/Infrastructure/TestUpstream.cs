using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel server standing in for the target EIP (or any peer) on a loopback address, http or https with a
/// test certificate, HTTP/1.1 and HTTP/2.
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private TestUpstream(WebApplication app, IPEndPoint endPoint, bool https, System.Collections.Concurrent.ConcurrentQueue<string> serverNames)
    {
        ServerNames = serverNames;
        _app = app;
        EndPoint = endPoint;
        IsHttps = https;
    }

    public IPEndPoint EndPoint { get; }

    public bool IsHttps { get; }

    /// <summary>The SNI of every TLS handshake this server saw ("" when the client sent none).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ServerNames { get; }

    public string Address => EndPoint.Address.ToString();

    public int Port => EndPoint.Port;

    public static async Task<TestUpstream> StartAsync(Action<WebApplication> map, X509Certificate2? certificate = null, string address = "127.0.0.1", int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? listen = null;
        var serverNames = new System.Collections.Concurrent.ConcurrentQueue<string>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Parse(address), port, o =>
            {
                listen = o;
                if (certificate is not null)
                {
                    o.Protocols = HttpProtocols.Http1AndHttp2;
                    o.UseHttps(https => https.ServerCertificateSelector = (_, name) =>
                    {
                        serverNames.Enqueue(name ?? "");
                        return certificate;
                    });
                }
                else
                {
                    o.Protocols = HttpProtocols.Http1;
                }
            });
        });
        var app = builder.Build();
        app.UseWebSockets();
        map(app);
        await app.StartAsync();
        return new TestUpstream(app, listen!.IPEndPoint!, certificate is not null, serverNames);
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: a test may stop a server early (to start another on its port) and still hold it in a using.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
