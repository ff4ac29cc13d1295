using System.Text.Json;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// One trust for every outgoing TLS connection: a private CA that the system trusts (here only through
/// <c>SSL_CERT_FILE</c>, which .NET honours, in a child process so this process's trust is untouched) works for SMTP
/// STARTTLS as it does for an HTTPS webhook, without <c>CaFile</c> and without any revocation endpoint.
/// </summary>
public sealed class SystemTrustTests : IDisposable
{
    private readonly TestCertificates _ca = new("DnsBridge System-Trusted Test CA");
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-system-trust").FullName;

    [Fact]
    public async Task Smtp_starttls_and_an_https_webhook_trust_a_ca_from_ssl_cert_file()
    {
        await using var smtp = await SmtpServer.StartAsync(_ca);
        using var certificate = _ca.Issue(["127.0.0.1"]);
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () => Results.Ok()), certificate);
        var bundle = _ca.WriteCaPem(_dir);
        var file = Path.Combine(_dir, "config.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            DnsBridge = new
            {
                Listen = new { Proxy = "http://127.0.0.1:0", Admin = "http://127.0.0.1:0" },
                Cutovers = new[] { new { Name = "shop", Hosts = new[] { "shop.example.test" }, Target = new { Address = "127.0.0.1", receiver.Port, Scheme = "https" } } },
                Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "none", Address = "127.0.0.1:9" } } },
                Alerts = new
                {
                    Webhooks = new[] { new { Name = "ops", Url = $"https://127.0.0.1:{receiver.Port}/hook" } },
                    Email = new { Host = "127.0.0.1", smtp.Port, From = "dnsbridge@example.test", To = new[] { "ops@example.test" } },
                },
                State = new { Path = Path.Combine(_dir, "state.db") },
            },
        }));

        var (_, output) = await DnsBridgeVerb.RunAsync(_dir, [("SSL_CERT_FILE", bundle), ("SSL_CERT_DIR", _dir)], "preflight", "--config", file, "--send-test-alert");

        var rows = output.Split('\n').Where(l => l.Contains("local: test alert", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count == 2, output);
        Assert.All(rows, r => Assert.True(r.StartsWith("PASS", StringComparison.Ordinal), output));
        var mail = Assert.Single(smtp.Messages);
        Assert.True(mail["tls"]!.GetValue<bool>(), "sent after STARTTLS");
    }

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
