using DnsBridge.Configuration;

namespace DnsBridge.Alerts;

/// <summary>
/// The HTTP handler webhooks are sent through, in <c>serve</c> and in <c>preflight --send-test-alert</c>. Redirects
/// are off: following one would resend the configured headers (API keys, bearer tokens) to whatever host the receiver
/// names, and count the alert delivered where nobody configured it to go.
/// </summary>
internal static class WebhookHandler
{
    public static SocketsHttpHandler Create() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = { CertificateRevocationCheckMode = CaFileTrust.RevocationMode },
    };
}
