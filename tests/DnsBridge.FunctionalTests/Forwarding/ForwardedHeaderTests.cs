using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// RFC 7239 <c>Forwarded</c> reaches the target with this hop (for, proto, host): appended to the chain of a trusted
/// peer (the source LB), in place of whatever an untrusted peer claims, as X-Forwarded-For is.
/// </summary>
public sealed class ForwardedHeaderTests : IDisposable
{
    private readonly TestCertificates _ca = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-forwarded").FullName;

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A target that answers with the forwarding headers it got, one per line.</summary>
    private static Task<TestUpstream> StartEchoAsync() => TestUpstream.StartAsync(app => app.Map("/{**path}", (HttpContext c) =>
    {
        var h = c.Request.Headers;
        return $"{h["Forwarded"]}\n{h["X-Forwarded-For"]}\n{h["X-Forwarded-Proto"]}\n{h["X-Forwarded-Host"]}";
    }));

    private static System.Text.Json.Nodes.JsonObject Section(TestUpstream target, object? listen = null, string[]? trustedProxies = null)
    {
        var section = System.Text.Json.JsonSerializer.SerializeToNode(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { target.Address, target.Port, Scheme = "http" } } },
        })!.AsObject();
        if (listen is not null)
        {
            section["Listen"] = System.Text.Json.JsonSerializer.SerializeToNode(listen);
        }

        if (trustedProxies is not null)
        {
            section["TrustedProxies"] = System.Text.Json.JsonSerializer.SerializeToNode(trustedProxies);
        }

        return section;
    }

    private static async Task<string[]> GetAsync(IPEndPoint proxy, string url, params (string Name, string Value)[] headers)
    {
        using var client = LoopbackClient.Create(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Split('\n');
    }

    [Fact]
    public async Task An_IPv4_client_is_named_in_Forwarded_with_the_scheme_and_host_it_used()
    {
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(Section(target));

        var echo = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test/");
        var withPort = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test:8080/");

        Assert.Equal("for=127.0.0.1;proto=http;host=shop.example.test", echo[0]);
        Assert.Equal("for=127.0.0.1;proto=http;host=\"shop.example.test:8080\"", withPort[0]);
    }

    [Fact]
    public async Task An_IPv6_client_is_quoted_and_bracketed()
    {
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(Section(target, listen: new { Proxy = "http://[::1]:0", Admin = "http://127.0.0.1:0" }));
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, bridge.ProxyEndPoint.AddressFamily);

        var echo = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test/");

        Assert.Equal("for=\"[::1]\";proto=http;host=shop.example.test", echo[0]);
        Assert.Equal("::1", echo[1]);
    }

    [Fact]
    public async Task The_chain_of_a_trusted_peer_is_kept_and_this_hop_appended()
    {
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(Section(target)); // loopback is trusted by default

        var echo = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test/",
            ("Forwarded", "for=203.0.113.9;proto=https;host=shop.example.test"), ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"));

        Assert.Equal("for=203.0.113.9;proto=https;host=shop.example.test, for=127.0.0.1;proto=http;host=shop.example.test", echo[0]);
        Assert.Equal("203.0.113.9, 127.0.0.1", echo[1]);
        Assert.Equal("https", echo[2]);
    }

    [Fact]
    public async Task A_trusted_balancer_that_sends_only_X_Forwarded_headers_has_its_chain_turned_into_Forwarded()
    {
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(Section(target));

        // A TLS-terminating LB: the client and the scheme it used are only in X-Forwarded-*. Without the conversion the
        // only Forwarded element would name the LB and http, and applications that prefer Forwarded would believe it.
        var echo = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test/",
            ("X-Forwarded-For", "203.0.113.9, 2001:db8::7"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "shop.example.test"));

        Assert.Equal("for=203.0.113.9;proto=https;host=shop.example.test, for=\"[2001:db8::7]\", for=127.0.0.1;proto=http;host=shop.example.test", echo[0]);
        Assert.Equal("203.0.113.9, 2001:db8::7, 127.0.0.1", echo[1]);
        Assert.Equal("https", echo[2]);
    }

    [Fact]
    public async Task What_an_untrusted_peer_claims_is_replaced_by_what_DnsBridge_saw()
    {
        await using var target = await StartEchoAsync();
        await using var bridge = await BridgeHost.StartAsync(Section(target, trustedProxies: ["10.0.0.0/8"]));

        var echo = await GetAsync(bridge.ProxyEndPoint, "http://shop.example.test/",
            ("Forwarded", "for=198.51.100.66;proto=https"), ("X-Forwarded-For", "198.51.100.66"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.test"));

        Assert.Equal("for=127.0.0.1;proto=http;host=shop.example.test", echo[0]);
        Assert.Equal("127.0.0.1", echo[1]);
        Assert.Equal("http", echo[2]);
        Assert.Equal("shop.example.test", echo[3]);
    }

    [Fact]
    public async Task A_client_on_the_TLS_listener_is_forwarded_with_proto_https()
    {
        await using var target = await StartEchoAsync();
        var certificate = _ca.Issue(["shop.example.test"]);
        var cert = Path.Combine(_dir, "shop.pem");
        var key = Path.Combine(_dir, "shop.key");
        await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using var bridge = await BridgeHost.StartAsync(Section(target, listen: new
        {
            Proxy = "http://127.0.0.1:0",
            ProxyHttps = "https://127.0.0.1:0",
            Admin = "http://127.0.0.1:0",
            Certificates = new[] { new { CertFile = cert, KeyFile = key } },
        }));
        var endPoint = bridge.Services.GetRequiredService<DnsBridge.Listeners.ListenerEndpoints>().ProxyHttpsEndPoint!;
        var handler = LoopbackClient.Handler(endPoint);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_ca.Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = X509CertificateLoader.LoadCertificate(presented!.GetRawCertData());
                return chain.Build(leaf);
            },
        };
        using var client = new HttpClient(handler);

        var echo = (await client.GetStringAsync("https://shop.example.test/")).Split('\n');

        Assert.Equal("for=127.0.0.1;proto=https;host=shop.example.test", echo[0]);
    }
}
