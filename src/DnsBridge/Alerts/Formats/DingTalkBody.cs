using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// DingTalk custom robot: a <c>markdown</c> message (its <c>title</c> is the notification preview), <c>msgUuid</c> =
/// the event id so that DingTalk drops a retry it already posted, and with a <c>Secret</c> the <c>timestamp</c> and
/// <c>sign</c> query parameters, made afresh for every attempt (a stored one expires after an hour).
/// </summary>
internal sealed class DingTalkBody : IWebhookFormat
{
    // Configuration errors DingTalk will repeat forever: 310000 keyword/signature/timestamp/IP allowlist, 300001 and
    // 300005 unknown token, 460101 body too large, 90030 quota used up. Everything else (130101 rate limit, codes not
    // known here) is retried: an unknown code is not proof the alert can never be delivered.
    private static readonly HashSet<long> Permanent = [310000, 300001, 300005, 460101, 90030];

    // Over 20 messages a minute blocks the robot for 10 minutes: an earlier retry would only extend the block.
    private static readonly TimeSpan RateLimitWait = TimeSpan.FromMinutes(10);

    public bool ReadsBody => true;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var url = webhook.Url;
        if (webhook.Secret is { } secret)
        {
            var (timestamp, sign) = RobotSignatures.DingTalk(secret, now);
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timestamp={timestamp}&sign={sign}";
        }

        var text = $"### {message.Title}: {message.Cutover}\n\n{message.Text}\n\n"
            + $"- **Hosts**: {message.HostsText}\n- **Target**: {message.Target ?? "-"}\n- **At**: {message.AtText}\n- **Event**: {message.Event} ({message.Id})";
        return (url, new JsonObject
        {
            ["msgtype"] = "markdown",
            ["markdown"] = new JsonObject { ["title"] = $"DnsBridge {message.Cutover}: {message.Title}", ["text"] = text },
            ["msgUuid"] = message.Id,
        });
    }

    public SendOutcome? Judge(HttpStatusCode status, string body)
    {
        if ((int)status is < 200 or >= 300)
        {
            return null;
        }

        return RobotAnswer.Read(body, ["errcode"], ["errmsg"]) switch
        {
            null => new SendOutcome(SendVerdict.Retry, $"HTTP {(int)status} without errcode: not a DingTalk answer"),
            { Code: 0 } => SendOutcome.Delivered,
            { Code: 130101 } a => new SendOutcome(SendVerdict.Retry, $"DingTalk errcode 130101 ({a.Message})", RateLimitWait),
            var (code, text) when Permanent.Contains(code) => new SendOutcome(SendVerdict.Rejected, $"DingTalk errcode {code} ({text})"),
            var (code, text) => new SendOutcome(SendVerdict.Retry, $"DingTalk errcode {code} ({text})"),
        };
    }
}
