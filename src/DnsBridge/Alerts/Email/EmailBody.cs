using System.Net;
using DnsBridge.Alerts.Formats;
using MimeKit;

namespace DnsBridge.Alerts.Email;

/// <summary>
/// One alert as a mail: subject <c>[DnsBridge] cutover: event</c>, a plain-text part and an HTML part with the same
/// facts, and a <c>Message-Id</c> made from the event id so that a retry after a lost answer is the same message to
/// anything that deduplicates (the mail counterpart of <c>Idempotency-Key</c>).
/// </summary>
internal static class EmailBody
{
    public static MimeMessage Build(AlertMessage message, string from, IEnumerable<string> to)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mail = new MimeMessage
        {
            Subject = $"[DnsBridge] {message.Cutover}: {message.Event}",
            MessageId = $"{message.Id}@dnsbridge",
            Date = message.At,
        };
        mail.From.Add(MailboxAddress.Parse(from));
        mail.To.AddRange(to.Select(MailboxAddress.Parse));
        mail.Headers.Add("Idempotency-Key", message.Id);

        var facts = new (string Name, string Value)[]
        {
            ("Cutover", message.Cutover), ("Event", message.Event), ("Hosts", message.HostsText), ("Target", message.Target ?? "-"),
            ("At", message.AtText), ("Event id", message.Id),
        };
        var text = $"{message.Title}: {message.Cutover}\n\n{message.Text}\n\n" + string.Concat(facts.Select(f => $"{f.Name}: {f.Value}\n"));
        var html = $"<!DOCTYPE html><html><body><h2>{E(message.Title)}: {E(message.Cutover)}</h2><p>{E(message.Text)}</p><table>"
            + string.Concat(facts.Select(f => $"<tr><th align=\"left\">{E(f.Name)}</th><td>{E(f.Value)}</td></tr>"))
            + "</table></body></html>";
        mail.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return mail;
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
