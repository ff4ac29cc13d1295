using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// Feishu/Lark custom bot: an <c>interactive</c> card (top-level <c>card</c>, header coloured by the event), and with a
/// <c>Secret</c> the <c>timestamp</c> and <c>sign</c> in the body, made afresh for every attempt. The card always
/// says "DnsBridge", a keyword a bot with keyword security can require.
/// </summary>
internal sealed class FeishuBody : IWebhookFormat
{
    // 19021 signature or timestamp, 19022 IP not allowed, 19024 keyword missing, 9499 bad request: configuration or
    // payload errors that every retry would repeat. 9499 "too many request" and 11232 are rate limits, and unknown
    // codes are retried.
    private static readonly HashSet<long> Permanent = [19021, 19022, 19024, 9499];

    public bool ReadsBody => true;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var body = new JsonObject();
        if (webhook.Secret is { } secret)
        {
            var (timestamp, sign) = RobotSignatures.Feishu(secret, now);
            body["timestamp"] = timestamp;
            body["sign"] = sign;
        }

        body["msg_type"] = "interactive";
        body["card"] = new JsonObject
        {
            ["header"] = new JsonObject
            {
                ["title"] = new JsonObject { ["tag"] = "plain_text", ["content"] = $"{message.Title}: {message.Cutover}" },
                ["template"] = message.Tone switch { "good" => "green", "bad" => "red", _ => "blue" },
            },
            ["elements"] = new JsonArray(
                Markdown(message.Text),
                Markdown($"**Hosts**: {message.HostsText}\n**Target**: {message.Target ?? "-"}\n**At**: {message.AtText}\n**DnsBridge event**: {message.Event} ({message.Id})")),
        };
        return (webhook.Url, body);
    }

    /// <summary>Every status: Feishu has answered its rate limit as HTTP 400 with a code.</summary>
    public SendOutcome? Judge(HttpStatusCode status, string body)
    {
        var ok = (int)status is >= 200 and < 300;
        return RobotAnswer.Read(body, ["code", "StatusCode"], ["msg", "StatusMessage"]) switch
        {
            null => ok ? new SendOutcome(SendVerdict.Retry, $"HTTP {(int)status} without code: not a Feishu answer") : null,
            { Code: 0 } => ok ? SendOutcome.Delivered : null,
            { Code: 11232 } a => new SendOutcome(SendVerdict.Retry, $"Feishu code 11232 ({a.Message})"),
            { Code: 9499 } a when a.Message.Contains("too many", StringComparison.OrdinalIgnoreCase) => new SendOutcome(SendVerdict.Retry, $"Feishu code 9499 ({a.Message})"),
            var (code, text) when Permanent.Contains(code) => new SendOutcome(SendVerdict.Rejected, $"Feishu code {code} ({text})"),
            var (code, text) => new SendOutcome(SendVerdict.Retry, $"Feishu code {code} ({text})"),
        };
    }

    private static JsonObject Markdown(string text) => new() { ["tag"] = "div", ["text"] = new JsonObject { ["tag"] = "lark_md", ["content"] = text } };
}
