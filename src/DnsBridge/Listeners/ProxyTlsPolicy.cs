using System.Net.Security;
using System.Security.Authentication;

namespace DnsBridge.Listeners;

/// <summary>
/// What the TLS proxy listener offers: TLS 1.2 with ECDHE key exchange and AEAD ciphers only (AES-GCM,
/// ChaCha20-Poly1305), and TLS 1.3: Mozilla's "intermediate" profile without its DHE suites. The CBC suites OpenSSL
/// offers by default (LUCKY13, and no forward secrecy for the RSA key exchange ones) and TLS 1.0/1.1 are refused.
/// </summary>
internal static class ProxyTlsPolicy
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    public static readonly IReadOnlyList<TlsCipherSuite> CipherSuites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    // Only OpenSSL (Linux, where DnsBridge ships) takes a suite list; elsewhere the platform's defaults stay.
    private static readonly CipherSuitesPolicy? Policy = OperatingSystem.IsLinux() ? new CipherSuitesPolicy(CipherSuites) : null;

    /// <summary>
    /// The options of one handshake: a fresh instance each time, since Kestrel fills in ALPN (h2, http/1.1) on it.
    /// The certificate context carries the chain and the OCSP staple.
    /// </summary>
    public static SslServerAuthenticationOptions For(SslStreamCertificateContext certificate) => new()
    {
        ServerCertificateContext = certificate,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = Policy,
        AllowRenegotiation = false,
    };
}
