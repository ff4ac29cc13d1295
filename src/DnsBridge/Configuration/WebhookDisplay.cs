using System.Security.Cryptography;
using System.Text;

namespace DnsBridge.Configuration;

/// <summary>
/// The one way a webhook URL is shown anywhere: logs, <c>validate</c>, <c>preflight</c> (table, JSON, Markdown), the
/// API and the status page. Slack, Teams, Discord, DingTalk and Feishu put the webhook's secret in the path or the
/// query, so only scheme, host and port are shown, plus a fingerprint of the whole URL so that two webhooks on one
/// host (two Slack channels) can be told apart and matched to the config: <c>https://hooks.slack.com:443 #3f2a9c1b</c>.
/// It lives with the config (not in Alerts) because configuration and preflight show webhooks too and may not
/// depend on Alerts.
/// </summary>
internal static class WebhookDisplay
{
    public static string Of(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? $"{uri.Scheme}://{uri.Host}:{uri.Port} #{Fingerprint(url)}"
            : $"(not a URL) #{Fingerprint(url)}";

    /// <summary>
    /// An outbox receiver as stored: a webhook name, or (for a row written before names existed whose host another
    /// row of the same event took) the URL itself, which is then shown like any webhook URL.
    /// </summary>
    public static string Receiver(string receiver) =>
        Uri.TryCreate(receiver, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? Of(receiver) : receiver;

    /// <summary>First 8 hex digits of the SHA-256 of the URL as configured: stable across runs, reveals nothing usable.</summary>
    public static string Fingerprint(string url) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url ?? "")))[..8];
}
