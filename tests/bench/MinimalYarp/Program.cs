using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Yarp.ReverseProxy.Configuration;

// Usage: MinimalYarp --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM
//        [--host NAME --ca CA.pem]   an https upstream dialled by IP, with SNI, Host and certificate name NAME,
//                                    validated against CA.pem (the TLS production shape of the benchmark)
// For a TLS listener pass Kestrel's own keys: --Kestrel:Certificates:Default:Path=cert.pem (and KeyPath).
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.Logging.ClearProviders();
var upstream = builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream is required");
var proxy = builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["u"] = new() { Address = upstream, Host = builder.Configuration["host"] } } }]);
if (builder.Configuration["ca"] is { } caFile)
{
    var roots = new X509Certificate2Collection();
    roots.ImportFromPemFile(caFile);
    proxy.ConfigureHttpClient((_, handler) => handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    });
}

var app = builder.Build();
app.MapReverseProxy();
app.Run();
