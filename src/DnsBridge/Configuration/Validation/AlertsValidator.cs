namespace DnsBridge.Configuration.Validation;

internal static class AlertsValidator
{
    public static void Validate(AlertsConfig alerts, string path, Action<string, string> error)
    {
        if (alerts.GiveUpAfter is { } giveUp && giveUp <= TimeSpan.Zero)
        {
            error($"{path}:GiveUpAfter", "must be longer than 00:00:00 (leave it out to retry until delivered)");
        }

        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < alerts.Webhooks.Count; i++)
        {
            var webhook = alerts.Webhooks[i];

            // The URL itself is never echoed: chat webhooks carry their secret in the path or query, and this message
            // reaches the terminal, the log (an invalid reload) and CI output.
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var uri))
            {
                error($"{path}:Webhooks:{i}:Url", $"must be an absolute http or https URL, got {WebhookDisplay.Of(webhook.Url)}");
                continue;
            }

            if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            {
                error($"{path}:Webhooks:{i}:Url", $"must be an absolute http or https URL, got scheme '{uri.Scheme}' ({WebhookDisplay.Of(webhook.Url)})");
                continue;
            }

            // Outbox rows are tied to the name: two receivers under one name would share (and steal) each other's rows.
            if (names.TryGetValue(webhook.Name, out var first))
            {
                error($"{path}:Webhooks:{i}:Name", $"'{webhook.Name}' is already the name of {path}:Webhooks:{first} (a webhook's name defaults to its URL's host): give each webhook its own Name");
                continue;
            }

            names[webhook.Name] = i;
        }
    }
}
