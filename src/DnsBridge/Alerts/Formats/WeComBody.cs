using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// WeCom group robot: a <c>markdown</c> message, at most 4,096 UTF-8 bytes (a CJK character is three), so the content
/// is cut by bytes. The <c>key</c> in the URL is the only credential: WeCom does not sign.
/// </summary>
internal sealed class WeComBody : IWebhookFormat
{
    private const int MaxBytes = 4096;

    public bool ReadsBody => true;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var colour = message.Tone switch { "good" => "info", "bad" => "warning", _ => "comment" };
        var content = $"### <font color=\"{colour}\">{message.Title}</font>: {message.Cutover}\n> {message.Text}\n\n"
            + $"**Hosts**: {message.HostsText}\n**Target**: {message.Target ?? "-"}\n<font color=\"comment\">{message.AtText} · {message.Event} ({message.Id})</font>";
        return (webhook.Url, new JsonObject
        {
            ["msgtype"] = "markdown",
            ["markdown"] = new JsonObject { ["content"] = CutBytes(content, MaxBytes) },
        });
    }

    /// <summary>93000 (wrong or deleted key) is permanent; 45009 (frequency) and unknown codes are retried.</summary>
    public SendOutcome? Judge(HttpStatusCode status, string body)
    {
        if ((int)status is < 200 or >= 300)
        {
            return null;
        }

        return RobotAnswer.Read(body, ["errcode"], ["errmsg"]) switch
        {
            null => new SendOutcome(SendVerdict.Retry, $"HTTP {(int)status} without errcode: not a WeCom answer"),
            { Code: 0 } => SendOutcome.Delivered,
            { Code: 93000 } a => new SendOutcome(SendVerdict.Rejected, $"WeCom errcode 93000 ({a.Message})"),
            var (code, text) => new SendOutcome(SendVerdict.Retry, $"WeCom errcode {code} ({text})"),
        };
    }

    internal static string CutBytes(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        // Whole characters only (never half a surrogate pair), leaving room for the ellipsis's three bytes.
        var end = text.Length;
        while (end > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, end)) > maxBytes - 3)
        {
            end = char.IsLowSurrogate(text[end - 1]) && end > 1 ? end - 2 : end - 1;
        }

        return string.Concat(text.AsSpan(0, end), "…");
    }
}
