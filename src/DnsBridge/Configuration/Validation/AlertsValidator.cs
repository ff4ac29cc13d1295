namespace DnsBridge.Configuration.Validation;

internal static class AlertsValidator
{
    public static void Validate(AlertsConfig alerts, string path, Action<string, string> error)
    {
        for (var i = 0; i < alerts.Webhooks.Count; i++)
        {
            var url = alerts.Webhooks[i].Url;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                error($"{path}:Webhooks:{i}:Url", $"must be an absolute http or https URL, got '{url}'");
            }
        }
    }
}
