using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace DnsBridge.Configuration.Validation;

/// <summary>The listeners, their certificates and the admin token; certificate paths come back absolute.</summary>
internal static class ListenValidator
{
    public static ListenConfig Validate(ListenConfig listen, string path, string baseDirectory, Action<string, string> error)
    {
        var proxy = Endpoint(listen.Proxy, $"{path}:{nameof(ListenConfig.Proxy)}", error);
        var admin = Endpoint(listen.Admin, $"{path}:{nameof(ListenConfig.Admin)}", error);
        // The listeners are told apart by local port, so they must not share one, whatever the addresses.
        if (proxy is not null && admin is not null && proxy.Port == admin.Port && proxy.Port != 0)
        {
            error($"{path}:{nameof(ListenConfig.Admin)}", $"must not share port {admin.Port} with Listen:Proxy: the proxy listener never serves admin endpoints");
        }

        var certificates = new List<CertificateConfig>(listen.Certificates.Count);
        for (var i = 0; i < listen.Certificates.Count; i++)
        {
            certificates.Add(Certificate(listen.Certificates[i], $"{path}:{nameof(ListenConfig.Certificates)}:{i}", baseDirectory, error));
        }

        if (listen.AdminToken is { } token && (token.Length < ConfigValidator.MinAdminTokenLength || token.Any(char.IsWhiteSpace)))
        {
            // The token itself is never repeated in the message: errors are printed and logged.
            error($"{path}:{nameof(ListenConfig.AdminToken)}", $"must be at least {ConfigValidator.MinAdminTokenLength} characters without spaces (e.g. the output of `openssl rand -hex 32`)");
        }

        if (admin is not null && AdminNeedsToken(listen.Admin, listen))
        {
            error($"{path}:{nameof(ListenConfig.Admin)}", $"'{listen.Admin}' {OpenAdminProblem}");
        }

        // The relays are swept once a second: a shorter timeout could not be honoured.
        if (listen.ConnectionIdleTimeout < TimeSpan.FromSeconds(1))
        {
            error($"{path}:{nameof(ListenConfig.ConnectionIdleTimeout)}", "must be a positive duration of at least 00:00:01");
        }

        if (listen.ConnectionHalfCloseTimeout < TimeSpan.FromSeconds(1))
        {
            error($"{path}:{nameof(ListenConfig.ConnectionHalfCloseTimeout)}", "must be a positive duration of at least 00:00:01");
        }

        if (listen.ProxyHttps is not null)
        {
            if (!ConfigParsers.TryParseListenUrl(listen.ProxyHttps, out var https, out var why, Uri.UriSchemeHttps))
            {
                error($"{path}:{nameof(ListenConfig.ProxyHttps)}", why);
            }
            else if (admin is not null && https!.Port == admin.Port && https.Port != 0)
            {
                error($"{path}:{nameof(ListenConfig.ProxyHttps)}", $"must not share port {admin.Port} with Listen:Admin");
            }

            if (certificates.Count == 0)
            {
                error($"{path}:{nameof(ListenConfig.Certificates)}", "at least one certificate is required with Listen:ProxyHttps");
            }
        }

        return listen with { Certificates = certificates };
    }

    /// <summary>What is wrong with an admin listener beyond loopback without a token, and the ways out.</summary>
    public const string OpenAdminProblem = "is reachable beyond loopback and Listen:AdminToken is not set: anyone who reaches it could read client IPs "
        + "and user agents and start preflight checks. Set Listen:AdminToken (e.g. DNSBRIDGE__Listen__AdminToken=$(openssl rand -hex 32)), "
        + "listen on 127.0.0.1, or accept an open admin listener with Listen:AllowAnonymousAdmin: true";

    /// <summary>
    /// Secure by default, like Redis' protected mode: an admin listener that other hosts can reach needs a token,
    /// unless <c>Listen:AllowAnonymousAdmin</c> says an open one is wanted.
    /// </summary>
    public static bool AdminNeedsToken(string adminUrl, ListenConfig listen) =>
        listen.AdminToken is null && !listen.AllowAnonymousAdmin && !ConfigParsers.IsLoopbackOnly(adminUrl);

    private static IPEndPoint? Endpoint(string url, string path, Action<string, string> error)
    {
        if (!ConfigParsers.TryParseListenUrl(url, out var endpoint, out var why))
        {
            error(path, why);
        }

        return endpoint;
    }

    private static CertificateConfig Certificate(CertificateConfig c, string path, string baseDirectory, Action<string, string> error)
    {
        var certFile = c.CertFile.Length == 0 ? "" : Path.GetFullPath(c.CertFile, baseDirectory);
        var keyFile = c.KeyFile.Length == 0 ? "" : Path.GetFullPath(c.KeyFile, baseDirectory);
        if (certFile.Length == 0)
        {
            error($"{path}:{nameof(CertificateConfig.CertFile)}", "is required (PEM certificate chain)");
        }
        else if (!File.Exists(certFile))
        {
            error($"{path}:{nameof(CertificateConfig.CertFile)}", $"file not found: {certFile}");
        }

        if (keyFile.Length == 0)
        {
            error($"{path}:{nameof(CertificateConfig.KeyFile)}", "is required (PEM private key)");
        }
        else if (!File.Exists(keyFile))
        {
            error($"{path}:{nameof(CertificateConfig.KeyFile)}", $"file not found: {keyFile}");
        }
        else if (File.Exists(certFile))
        {
            try
            {
                using var loaded = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                error(path, $"cannot load the certificate and key: {e.Message}");
            }
        }

        return new CertificateConfig { CertFile = certFile, KeyFile = keyFile };
    }
}
