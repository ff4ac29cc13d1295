namespace DnsBridge.Configuration.Validation;

internal static class AlertsValidator
{
    /// <summary>Returns the section with the email CA file path made absolute.</summary>
    public static AlertsConfig Validate(AlertsConfig alerts, string path, string baseDirectory, Action<string, string> error)
    {
        if (alerts.GiveUpAfter is { } giveUp && giveUp <= TimeSpan.Zero)
        {
            error($"{path}:{nameof(AlertsConfig.GiveUpAfter)}", "must be longer than 00:00:00 (leave it out to retry until delivered)");
        }

        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < alerts.Webhooks.Count; i++)
        {
            var webhook = alerts.Webhooks[i];

            // The URL itself is never echoed: chat webhooks carry their secret in the path or query, and this message
            // reaches the terminal, the log (an invalid reload) and CI output.
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var uri))
            {
                error($"{path}:{nameof(AlertsConfig.Webhooks)}:{i}:{nameof(WebhookConfig.Url)}", $"must be an absolute http or https URL, got {WebhookDisplay.Of(webhook.Url)}");
                continue;
            }

            if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            {
                error($"{path}:{nameof(AlertsConfig.Webhooks)}:{i}:{nameof(WebhookConfig.Url)}", $"must be an absolute http or https URL, got scheme '{uri.Scheme}' ({WebhookDisplay.Of(webhook.Url)})");
                continue;
            }

            // Outbox rows are tied to the name: two receivers under one name would share (and steal) each other's rows.
            if (names.TryGetValue(webhook.Name, out var first))
            {
                error($"{path}:{nameof(AlertsConfig.Webhooks)}:{i}:{nameof(WebhookConfig.Name)}", $"'{webhook.Name}' is already the name of {path}:{nameof(AlertsConfig.Webhooks)}:{first} (a webhook's name defaults to its URL's host): give each webhook its own Name");
                continue;
            }

            names[webhook.Name] = i;
            WebhookFormat(webhook, $"{path}:{nameof(AlertsConfig.Webhooks)}:{i}", uri, error);
        }

        if (alerts.Email is null)
        {
            return alerts;
        }

        if (names.TryGetValue(EmailConfig.ReceiverName, out var clash))
        {
            error($"{path}:{nameof(AlertsConfig.Webhooks)}:{clash}:{nameof(WebhookConfig.Name)}", $"'{EmailConfig.ReceiverName}' is the outbox name of {path}:{nameof(AlertsConfig.Email)}: give this webhook another Name");
        }

        return alerts with { Email = EmailValidator.Validate(alerts.Email, $"{path}:{nameof(AlertsConfig.Email)}", baseDirectory, error) };
    }

    private static void WebhookFormat(WebhookConfig webhook, string path, Uri uri, Action<string, string> error)
    {
        if (!WebhookFormats.All.Contains(webhook.Format))
        {
            error($"{path}:{nameof(WebhookConfig.Format)}", $"must be one of {string.Join(", ", WebhookFormats.All)}, got '{webhook.Format}'");
            return;
        }

        // A Secret the format never uses is a misunderstanding (the operator expects a signature nobody makes); the
        // value itself is never echoed.
        if (webhook.Secret is not null && !WebhookFormats.Signing.Contains(webhook.Format))
        {
            error($"{path}:{nameof(WebhookConfig.Secret)}", $"only applies to the formats that sign ({string.Join(", ", WebhookFormats.Signing)}), not to '{webhook.Format}': remove it (the URL is this receiver's credential)");
        }

        // Office 365 connectors are retired: their 200 no longer means anyone saw the alert.
        if (webhook.Format == WebhookFormats.Teams && uri.Host.EndsWith(".webhook.office.com", StringComparison.OrdinalIgnoreCase))
        {
            error($"{path}:{nameof(WebhookConfig.Url)}", $"is an Office 365 connector URL ({WebhookDisplay.Of(webhook.Url)}), retired by Microsoft: create a Teams Workflows webhook (\"Post to a channel when a webhook request is received\") and use its URL");
        }
    }
}
