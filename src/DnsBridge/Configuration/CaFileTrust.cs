using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DnsBridge.Configuration;

/// <summary>
/// What a <c>CaFile</c> key means wherever it appears (<c>Target.CaFile</c>, <c>Alerts:Email:CaFile</c>): system trust
/// first, the file's roots added (never replacing the system store), and the name always checked. One trust for every
/// outgoing TLS connection (HTTP clients, DoT, DoH, vantages, SMTP): a CA the system trusts (including through
/// <c>SSL_CERT_FILE</c>) or the CaFile names works the same for all of them.
/// </summary>
internal static class CaFileTrust
{
    /// <summary>
    /// No online revocation check anywhere (the default of SslStream and SocketsHttpHandler, made explicit where a
    /// library defaults otherwise, as MailKit does): a migration network often cannot reach CRL or OCSP endpoints,
    /// and a private CA often publishes none, so a check would fail trusted certificates, and only on some channels.
    /// </summary>
    public const X509RevocationMode RevocationMode = X509RevocationMode.NoCheck;

    public static RemoteCertificateValidationCallback Validator(string? caFile)
    {
        var roots = new X509Certificate2Collection();
        if (caFile is not null)
        {
            roots.ImportFromPemFile(caFile);
        }

        return (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            if (roots.Count == 0 || certificate is null
                || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(roots);
            custom.ChainPolicy.RevocationMode = RevocationMode;

            // Everything needed is the CaFile and what the peer presents: no intermediate fetched over the network
            // from inside a TLS handshake (it may run on a socket completion thread).
            custom.ChainPolicy.DisableCertificateDownloads = true;
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return custom.Build(leaf);
        };
    }
}
