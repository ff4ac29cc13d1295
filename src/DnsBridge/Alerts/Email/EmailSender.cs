using System.Net.Sockets;
using DnsBridge.Alerts.Formats;
using DnsBridge.Configuration;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace DnsBridge.Alerts.Email;

/// <summary>
/// One SMTP attempt per event: connect in the configured mode (STARTTLS required, implicit TLS, or none; never
/// MailKit's <c>Auto</c>, which stays in clear text when STARTTLS is stripped), authenticate when a user is set, send,
/// quit. The verdict: SMTP 4xx, protocol and network failures are retried; 5xx, bad credentials, an untrusted
/// certificate and a server without STARTTLS are configuration errors that a retry repeats, so they fail at once.
/// </summary>
public sealed class EmailSender(TimeProvider time)
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
        using var client = new SmtpClient { Timeout = (int)OperationTimeout.TotalMilliseconds, ServerCertificateValidationCallback = CaFileTrust.Validator(email.CaFile) };
        var mode = !email.Tls ? SecureSocketOptions.None : email.UsesStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.SslOnConnect;
        try
        {
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
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException)
        {
            return new SendOutcome(SendVerdict.Retry, $"SMTP connection: {e.GetType().Name}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendOutcome(SendVerdict.Retry, "timeout");
        }
    }
}
