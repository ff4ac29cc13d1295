using MimeKit;

namespace DnsBridge.Configuration.Validation;

/// <summary><c>Alerts:Email</c>: where mail goes and how; the password is never echoed.</summary>
internal static class EmailValidator
{
    public static EmailConfig Validate(EmailConfig email, string path, string baseDirectory, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(email.Host))
        {
            error($"{path}:{nameof(EmailConfig.Host)}", "is required (the SMTP server's name or address)");
        }

        if (email.Port is < 1 or > 65535)
        {
            error($"{path}:{nameof(EmailConfig.Port)}", $"must be 1-65535, got {email.Port}");
        }

        if (!email.Tls && email.StartTls == true)
        {
            error($"{path}:{nameof(EmailConfig.StartTls)}", "only applies with TLS: remove it, or remove Tls: false");
        }

        // Credentials in clear text over the network: refused rather than sent.
        if (!email.Tls && (email.Username is not null || email.Password is not null))
        {
            error($"{path}:{nameof(EmailConfig.Tls)}", "must stay true when Username or Password is set: credentials are never sent without TLS");
        }

        if (email.Password is not null && email.Username is null)
        {
            error($"{path}:{nameof(EmailConfig.Username)}", "is required when Password is set");
        }

        if (email.Username is not null && email.Password is null)
        {
            error($"{path}:{nameof(EmailConfig.Password)}", "is required when Username is set (best from the environment: DNSBRIDGE__Alerts__Email__Password)");
        }

        if (string.IsNullOrWhiteSpace(email.From))
        {
            error($"{path}:{nameof(EmailConfig.From)}", "is required (the sender address, such as dnsbridge@example.com)");
        }
        else if (!IsMailbox(email.From))
        {
            error($"{path}:{nameof(EmailConfig.From)}", $"must be a mail address, got '{email.From}'");
        }

        if (email.To.Count == 0)
        {
            error($"{path}:{nameof(EmailConfig.To)}", "must list at least one recipient address");
        }

        for (var i = 0; i < email.To.Count; i++)
        {
            if (!IsMailbox(email.To[i]))
            {
                error($"{path}:{nameof(EmailConfig.To)}:{i}", $"must be a mail address, got '{email.To[i]}'");
            }
        }

        var caFile = email.CaFile is null ? null : TargetValidator.CaFile(Path.GetFullPath(email.CaFile, baseDirectory), $"{path}:{nameof(EmailConfig.CaFile)}", error);
        return email with { CaFile = caFile };
    }

    // The sender's own parser (EmailBody), so that an address passing here never fails there ("a.@example.com"
    // passes System.Net.Mail), and with a domain: a bare local part is not somewhere a relay can deliver.
    private static bool IsMailbox(string value) => MailboxAddress.TryParse(value, out var mailbox) && mailbox.Domain.Length > 0;
}
