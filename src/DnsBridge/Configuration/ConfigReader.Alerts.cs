namespace DnsBridge.Configuration;

/// <summary>The <c>Alerts</c> section: webhooks with their format and secret, and email.</summary>
internal sealed partial class ConfigReader
{
    private AlertsConfig ReadAlerts(Section s)
    {
        var d = new AlertsConfig();
        return new AlertsConfig
        {
            Webhooks = s.List(nameof(d.Webhooks), ReadWebhook),
            GiveUpAfter = s.Read(nameof(d.GiveUpAfter), Duration),
            Email = s.Has(nameof(d.Email)) ? s.Nested(nameof(d.Email), ReadEmail) : null,
        };
    }

    private WebhookConfig ReadWebhook(Section w)
    {
        var name = w.String(nameof(WebhookConfig.Name)) ?? "";
        var url = w.String(nameof(WebhookConfig.Url)) ?? "";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in w.Child(nameof(WebhookConfig.Headers)).GetChildren())
        {
            headers[h.Key] = h.Value ?? "";
        }

        return new WebhookConfig
        {
            Name = name,
            Url = url,
            Headers = headers,
            Format = NullIfEmpty(w.String(nameof(WebhookConfig.Format)))?.ToLowerInvariant() ?? WebhookFormats.Json,
            Secret = NullIfEmpty(w.String(nameof(WebhookConfig.Secret))),
        };
    }

    private EmailConfig ReadEmail(Section s)
    {
        var d = new EmailConfig();
        return new EmailConfig
        {
            Host = s.String(nameof(d.Host)) ?? "",
            Port = s.Read(nameof(d.Port), Int),
            StartTls = s.Read(nameof(d.StartTls), Bool),
            Tls = s.Read(nameof(d.Tls), Bool) ?? d.Tls,
            Username = NullIfEmpty(s.String(nameof(d.Username))),

            // Not trimmed: a password may begin or end with a space.
            Password = NullIfEmpty(s.Child(nameof(d.Password)).Value),
            From = s.String(nameof(d.From)) ?? "",
            To = s.Strings(nameof(d.To)),
            CaFile = NullIfEmpty(s.String(nameof(d.CaFile))),
        };
    }
}
