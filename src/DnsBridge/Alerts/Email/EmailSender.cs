using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.Alerts.Formats;
using DnsBridge.Configuration;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace DnsBridge.Alerts.Email;

/// <summary>
/// One SMTP attempt per event: connect in the configured mode (STARTTLS required, implicit TLS, or none; never
/// MailKit's <c>Auto</c>, which stays in clear text when STARTTLS is stripped), authenticate when a user is set, send,
/// quit. The verdict: SMTP 4xx, protocol and network failures are retried; 5xx, bad credentials, a server demanding
/// authentication, an untrusted certificate and a server without STARTTLS are configuration errors that a retry
/// repeats, so they fail at once. Every failure is an outcome, never an exception: an unknown one is retried (the
/// outbox's backoff paces it), so one odd server cannot stop the process that holds the outbox.
/// </summary>
internal sealed class EmailSender(TimeProvider time)
{
    // MailKit's own default is two minutes per operation; an alert attempt must end well before the next second's.
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);

    public async Task<SendOutcome> SendAsync(EmailConfig email, AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(message);
        using var deadline = new CancellationTokenSource(AttemptTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var mode = !email.Tls ? SecureSocketOptions.None : email.UsesStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.SslOnConnect;
        try
        {
            // Trust as every other outgoing TLS connection has it (CaFileTrust): MailKit's own default adds an online
            // revocation check, which a CA without CRL/OCSP endpoints (or a network that cannot reach them) fails.
            using var client = new SmtpClient
            {
                Timeout = (int)OperationTimeout.TotalMilliseconds,
                CheckCertificateRevocation = CaFileTrust.RevocationMode != X509RevocationMode.NoCheck,
                ServerCertificateValidationCallback = CaFileTrust.Validator(email.CaFile),
            };
            await client.ConnectAsync(email.Host, email.EffectivePort, mode, linked.Token);
            if (email.Username is { } user)
            {
                await client.AuthenticateAsync(user, email.Password ?? "", linked.Token);
            }

            await client.SendAsync(EmailBody.Build(message, email.From, email.To), linked.Token);
            await client.DisconnectAsync(quit: true, linked.Token);
            return SendOutcome.Delivered;
        }
        catch (SmtpCommandException e)
        {
            var code = (int)e.StatusCode;
            var what = e.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? $"recipient {e.Mailbox} refused" : e.ErrorCode.ToString();
            return new SendOutcome(code is >= 400 and < 500 ? SendVerdict.Retry : SendVerdict.Rejected, $"SMTP {code}: {what}");
        }
        catch (ServiceNotAuthenticatedException)
        {
            // 530 to MAIL FROM: the relay does not take mail from this host without a login.
            return new SendOutcome(SendVerdict.Rejected, "SMTP 530: the server requires authentication: set Username and Password (with TLS)");
        }
        catch (AuthenticationException)
        {
            // The server's text may quote the user; the password is never part of it, but neither is needed here.
            return new SendOutcome(SendVerdict.Rejected, "SMTP authentication failed: check Username and Password");
        }
        catch (SslHandshakeException)
        {
            return new SendOutcome(SendVerdict.Rejected, "TLS handshake failed: the certificate is not trusted (CaFile?) or the port does not speak this mode (StartTls)");
        }
        catch (NotSupportedException)
        {
            return new SendOutcome(SendVerdict.Rejected, "the server does not offer STARTTLS (or the authentication asked for): not sent in clear text");
        }
        catch (ParseException)
        {
            return new SendOutcome(SendVerdict.Rejected, "From or To is not a mail address");
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException)
        {
            return new SendOutcome(SendVerdict.Retry, $"SMTP connection: {e.GetType().Name}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendOutcome(SendVerdict.Retry, "timeout");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only the type: an unknown exception's text is not known to be free of what the server or config said.
            return new SendOutcome(SendVerdict.Retry, $"unexpected {e.GetType().Name} (retried)");
        }
    }
}
