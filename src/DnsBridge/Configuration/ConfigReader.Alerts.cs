namespace DnsBridge.Configuration;

/// <summary>The <c>Alerts</c> section: webhooks with their format and secret, and email.</summary>
public sealed partial class ConfigReader
{
    private AlertsConfig ReadAlerts(IConfigurationSection s)
    {
        CheckKeys(s, "Webhooks", "GiveUpAfter", "Email");
        return new AlertsConfig
        {
            GiveUpAfter = Read(s, "GiveUpAfter", Duration),
            Webhooks = ReadArray(s.GetSection("Webhooks"), w =>
            {
                CheckKeys(w, "Name", "Url", "Headers", "Format", "Secret");
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var h in w.GetSection("Headers").GetChildren())
                {
                    headers[h.Key] = h.Value ?? "";
                }

                return new WebhookConfig
                {
                    Name = String(w, "Name") ?? "",
                    Url = String(w, "Url") ?? "",
                    Headers = headers,
                    Format = NullIfEmpty(String(w, "Format"))?.ToLowerInvariant() ?? WebhookFormats.Json,
                    Secret = NullIfEmpty(String(w, "Secret")),
                };
            }),
            Email = Exists(s.GetSection("Email")) ? ReadEmail(s.GetSection("Email")) : null,
        };
    }

    private EmailConfig ReadEmail(IConfigurationSection s)
    {
        CheckKeys(s, "Host", "Port", "StartTls", "Tls", "Username", "Password", "From", "To", "CaFile");
        return new EmailConfig
        {
            Host = String(s, "Host") ?? "",
            Port = Read(s, "Port", Int),
            StartTls = Read(s, "StartTls", Bool),
            Tls = Read(s, "Tls", Bool) ?? true,
            Username = NullIfEmpty(String(s, "Username")),
            Password = NullIfEmpty(s.GetSection("Password").Value),
            From = String(s, "From") ?? "",
            To = ReadStrings(s.GetSection("To")),
            CaFile = NullIfEmpty(String(s, "CaFile")),
        };
    }
}
