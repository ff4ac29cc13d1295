using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// The TLS proxy listener, for sources whose load balancer passes TLS through: certificates chosen by SNI,
/// HTTP/2 by ALPN from clients, renewed certificates picked up without a restart.
/// </summary>
public sealed class ProxyTlsTests : IDisposable
{
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-proxytls").FullName;

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private object WritePem(string name, X509Certificate2 certificate)
    {
        var cert = Path.Combine(_dir, $"{name}.pem");
        var key = Path.Combine(_dir, $"{name}.key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return new { CertFile = cert, KeyFile = key };
    }

    private HttpClient Client(IPEndPoint endPoint, List<X509Certificate2> seen)
    {
        var handler = LoopbackClient.Handler(endPoint);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                seen.Add(X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData()));
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_ca.Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && chain.Build(seen[^1]);
            },
        };
        return new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    private static object Section(TestUpstream target, params object[] certificates) => new
    {
        Listen = new { Proxy = "http://127.0.0.1:0", ProxyHttps = "https://127.0.0.1:0", Admin = "http://127.0.0.1:0", Certificates = certificates },
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { "a.example.test", "b.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
    };

    [Fact]
    public async Task HTTP2_clients_over_TLS_are_forwarded_with_the_certificate_of_their_SNI()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", (HttpContext c) => $"{c.Request.Host} {c.Request.Headers["X-Forwarded-Proto"]}"));
        await using var bridge = await BridgeHost.StartAsync(Section(target, WritePem("a", _ca.Issue(["a.example.test"])), WritePem("b", _ca.Issue(["b.example.test"]))));
        var endPoint = bridge.Services.GetRequiredService<DnsBridge.Listeners.ListenerEndpoints>().ProxyHttpsEndPoint!;
        var seen = new List<X509Certificate2>();
        using var client = Client(endPoint, seen);

        using var a = await client.GetAsync("https://a.example.test/x");
        using var b = await client.GetAsync("https://b.example.test/y");

        Assert.Equal(HttpVersion.Version20, a.Version);
        Assert.Equal("a.example.test https", await a.Content.ReadAsStringAsync());
        Assert.Equal("b.example.test https", await b.Content.ReadAsStringAsync());
        Assert.Equal(["CN=a.example.test", "CN=b.example.test"], seen.Select(c => c.Subject));
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_without_a_restart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var target = await TestUpstream.StartAsync(app => app.Map("/", () => "ok"));
        var pem = WritePem("a", _ca.Issue(["a.example.test"]));
        await using var bridge = await BridgeHost.StartAsync(Section(target, pem), s => s.AddSingleton<TimeProvider>(time));
        var endPoint = bridge.Services.GetRequiredService<DnsBridge.Listeners.ListenerEndpoints>().ProxyHttpsEndPoint!;

        var seen = new List<X509Certificate2>();
        using (var client = Client(endPoint, seen))
        {
            Assert.Equal("ok", await client.GetStringAsync("https://a.example.test/"));
        }

        var renewed = _ca.Issue(["a.example.test"]);
        WritePem("a", renewed);
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "a.pem"), DateTime.UtcNow.AddSeconds(10));
        time.Advance(TimeSpan.FromSeconds(6));

        using (var client = Client(endPoint, seen))
        {
            // The first handshake after the check interval notices the change; the new file serves from then on.
            await client.GetStringAsync("https://a.example.test/");
        }

        using (var client = Client(endPoint, seen))
        {
            Assert.Equal("ok", await client.GetStringAsync("https://a.example.test/"));
        }

        Assert.Equal(renewed.SerialNumber, seen[^1].SerialNumber);
        Assert.NotEqual(seen[0].SerialNumber, seen[^1].SerialNumber);
    }
}
