using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Listeners;

namespace DnsBridge.FunctionalTests.Forwarding;

/// <summary>
/// What a scanner (testssl.sh) sees on the TLS proxy listener, asked with a real OpenSSL client: TLS 1.2 with ECDHE
/// and AEAD suites only, TLS 1.3, nothing older, and a stapled OCSP response when the certificate names a responder
/// (a real <c>openssl ocsp</c> responder on loopback).
/// </summary>
public sealed class ProxyTlsPolicyTests : IDisposable
{
    private const string Host = "shop.example.test";
    private readonly TestCertificates _ca = new("DnsBridge OCSP Test CA");
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-tlspolicy").FullName;

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The certificate file holds the leaf and its CA: the chain reaches a root, as OCSP stapling needs.</summary>
    private object WritePem(X509Certificate2 certificate)
    {
        var cert = Path.Combine(_dir, "shop.pem");
        var key = Path.Combine(_dir, "shop.key");
        File.WriteAllText(cert, certificate.ExportCertificatePem() + "\n" + _ca.Ca.ExportCertificatePem() + "\n");
        File.WriteAllText(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return new { CertFile = cert, KeyFile = key };
    }

    private static object Section(object certificate) => new
    {
        Listen = new { Proxy = "http://127.0.0.1:0", ProxyHttps = "https://127.0.0.1:0", Admin = "http://127.0.0.1:0", Certificates = new[] { certificate } },
        Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { Address = "127.0.0.1", Port = 9, Scheme = "http" } } },
    };

    private static string Endpoint(BridgeHost bridge) => bridge.Services.GetRequiredService<ListenerEndpoints>().ProxyHttpsEndPoint!.ToString();

    /// <summary>One <c>openssl s_client</c> handshake (stdin closed, so it ends after the handshake): exit code and all output.</summary>
    private static async Task<(int ExitCode, string Output)> SClientAsync(string endpoint, params string[] options)
    {
        var start = new ProcessStartInfo("openssl", ["s_client", "-connect", endpoint, "-servername", Host, .. options])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task TLS_1_2_offers_only_ECDHE_with_AEAD_and_TLS_1_3_is_offered()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(WritePem(_ca.Issue([Host]))));
        var endpoint = Endpoint(bridge);

        foreach (var suite in new[] { "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305" })
        {
            var (exit, output) = await SClientAsync(endpoint, "-tls1_2", "-cipher", suite);
            Assert.True(exit == 0 && output.Contains($"Cipher is {suite}", StringComparison.Ordinal), $"{suite} refused:\n{output}");
        }

        // CBC (LUCKY13), CBC with ECDHE, and AEAD without forward secrecy (RSA key exchange): no handshake.
        foreach (var suite in new[] { "AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256" })
        {
            var (exit, output) = await SClientAsync(endpoint, "-tls1_2", "-cipher", suite);
            Assert.True(exit != 0 && !output.Contains($"Cipher is {suite}", StringComparison.Ordinal), $"{suite} accepted:\n{output}");
        }

        var (exit13, output13) = await SClientAsync(endpoint, "-tls1_3");
        Assert.True(exit13 == 0 && output13.Contains("Cipher is TLS_", StringComparison.Ordinal), $"TLS 1.3 refused:\n{output13}");
    }

    [Theory]
    [InlineData("-tls1")]
    [InlineData("-tls1_1")]
    public async Task TLS_1_0_and_1_1_are_refused(string version)
    {
        await using var bridge = await BridgeHost.StartAsync(Section(WritePem(_ca.Issue([Host]))));

        // The client at security level 0 would still speak them (OpenSSL 3 refuses them itself at its default level).
        var (exit, output) = await SClientAsync(Endpoint(bridge), version, "-cipher", "DEFAULT@SECLEVEL=0");

        Assert.True(exit != 0 && output.Contains("Cipher is (NONE)", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task An_OCSP_response_is_stapled_when_the_certificate_names_a_responder()
    {
        // CA, leaf and responder database made by OpenSSL, as a real CA's would be: openssl ocsp needs the CA's key.
        var port = TcpTestServer.FreeEndPoint().Port;
        var caPem = Path.Combine(_dir, "ca.pem");
        var caKey = Path.Combine(_dir, "ca.key");
        var leafPem = Path.Combine(_dir, "leaf.pem");
        var leafKey = Path.Combine(_dir, "leaf.key");
        var csr = Path.Combine(_dir, "leaf.csr");
        var extensions = Path.Combine(_dir, "leaf.ext");
        var index = Path.Combine(_dir, "index.txt");
        await OpenSslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caPem, "-days", "2", "-subj", "/CN=DnsBridge OCSP Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        await OpenSslAsync("req", "-newkey", "rsa:2048", "-nodes", "-keyout", leafKey, "-out", csr, "-subj", $"/CN={Host}");
        await File.WriteAllTextAsync(extensions, $"subjectAltName=DNS:{Host}\nextendedKeyUsage=serverAuth\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:{port}\n");
        await OpenSslAsync("x509", "-req", "-in", csr, "-CA", caPem, "-CAkey", caKey, "-set_serial", "0x25AB", "-days", "2", "-extfile", extensions, "-out", leafPem);
        // openssl ca's index.txt: valid, expiry, no revocation, serial, file, subject.
        await File.WriteAllTextAsync(index, $"V\t{DateTime.UtcNow.AddDays(2):yyMMddHHmmss}Z\t\t25AB\tunknown\t/CN={Host}\n");
        var chainPem = Path.Combine(_dir, "chain.pem");
        await File.WriteAllTextAsync(chainPem, await File.ReadAllTextAsync(leafPem) + await File.ReadAllTextAsync(caPem));
        var responder = Process.Start(new ProcessStartInfo("openssl", ["ocsp", "-index", index, "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-rsigner", caPem, "-rkey", caKey, "-CA", caPem, "-ndays", "1", "-ignore_err"])
        {
            RedirectStandardError = true,
        })!;
        try
        {
            // Ready once it says so; not probed with a connection: the responder serves one connection at a time and
            // a probe that sends no request can hold it (and the fetch waiting behind it) for good.
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await responder.StandardError.ReadLineAsync(ready.Token) is { } line && !line.Contains("waiting for OCSP client connections", StringComparison.Ordinal))
            {
            }

            // Drained as it comes (it logs every request), and shown if the staple never arrives.
            var responderLog = responder.StandardError.ReadToEndAsync();
            await using var bridge = await BridgeHost.StartAsync(Section(new { CertFile = chainPem, KeyFile = leafKey }));

            // The staple is fetched in the background once the certificate is loaded: the first handshakes may come
            // before it (and a failed fetch is retried after 5 s), so ask until it is there, within a bound.
            var deadline = Stopwatch.StartNew();
            string output;
            do
            {
                (_, output) = await SClientAsync(Endpoint(bridge), "-status");
                if (output.Contains("OCSP Response Status: successful", StringComparison.Ordinal))
                {
                    break;
                }

                await Task.Delay(200);
            }
            while (deadline.Elapsed < TimeSpan.FromSeconds(60));

            if (!output.Contains("Cert Status: good", StringComparison.Ordinal))
            {
                await ServerProcess.StopAsync(responder);
                Assert.Fail($"no good OCSP staple within 60 s:\n{output}\nthe responder logged:\n{await responderLog}");
            }
        }
        finally
        {
            await ServerProcess.StopAsync(responder);
        }
    }

    private static async Task OpenSslAsync(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("openssl", args) { RedirectStandardError = true })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', args)}: {errors}");
    }
}
