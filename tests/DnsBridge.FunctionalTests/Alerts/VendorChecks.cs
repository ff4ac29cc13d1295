using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// What each vendor documents about a webhook request, written from their documentation as the research note cites it
/// (not from DnsBridge's code): each check returns the problems found, empty when the request is one the vendor takes.
/// </summary>
internal static class VendorChecks
{
    // api.slack.com/reference/block-kit/blocks: the block types a message may carry.
    private static readonly string[] SlackBlockTypes = ["actions", "context", "divider", "file", "header", "image", "input", "section", "video", "rich_text", "markdown"];

    // help.dingtalk.io robot-message-type and open.feishu.cn bot-v3: the message types a custom robot accepts.
    private static readonly string[] DingTalkTypes = ["text", "markdown", "link", "actionCard", "feedCard"];
    private static readonly string[] FeishuTypes = ["text", "post", "image", "share_chat", "interactive"];

    /// <summary>Slack: <c>text</c> (the notification fallback) and at most 50 blocks of known types; header ≤ 150, section ≤ 3000.</summary>
    public static List<string> Slack(JsonObject body)
    {
        List<string> problems = [];
        if (body["text"]?.GetValue<string>() is not { Length: > 0 })
        {
            problems.Add("no text fallback");
        }

        if (body["blocks"] is not JsonArray { Count: > 0 and <= 50 } blocks)
        {
            problems.Add("blocks is not an array of 1-50");
            return problems;
        }

        foreach (var block in blocks.OfType<JsonObject>())
        {
            var type = block["type"]?.GetValue<string>();
            if (!SlackBlockTypes.Contains(type))
            {
                problems.Add($"unknown block type {type}");
            }

            if (type == "header" && (block["text"]?["type"]?.GetValue<string>() != "plain_text" || block["text"]?["text"]?.GetValue<string>() is not { Length: > 0 and <= 150 }))
            {
                problems.Add("header needs plain_text of 1-150 characters");
            }

            if (type == "section" && block["text"] is null && block["fields"] is null)
            {
                problems.Add("section without text or fields");
            }

            if (type == "section" && block["text"]?["text"]?.GetValue<string>() is { Length: > 3000 })
            {
                problems.Add("section text over 3000");
            }

            foreach (var text in (block["fields"] as JsonArray ?? []).Append(block["text"]).Concat(block["elements"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (text["type"]?.GetValue<string>() is not ("plain_text" or "mrkdwn"))
                {
                    problems.Add("text object neither plain_text nor mrkdwn");
                }
            }
        }

        return problems;
    }

    /// <summary>Teams Workflows: the <c>message</c> envelope, one Adaptive Card attachment, card version at most 1.4, a body.</summary>
    public static List<string> Teams(JsonObject body)
    {
        List<string> problems = [];
        if (body["type"]?.GetValue<string>() != "message")
        {
            problems.Add("type is not message");
        }

        var attachment = (body["attachments"] as JsonArray)?.FirstOrDefault() as JsonObject;
        if (attachment?["contentType"]?.GetValue<string>() != "application/vnd.microsoft.card.adaptive")
        {
            problems.Add("attachments[0].contentType is not application/vnd.microsoft.card.adaptive");
        }

        var card = attachment?["content"] as JsonObject;
        if (card?["type"]?.GetValue<string>() != "AdaptiveCard")
        {
            problems.Add("content.type is not AdaptiveCard");
        }

        if (!double.TryParse(card?["version"]?.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var version) || version > 1.4)
        {
            problems.Add("card version missing or above 1.4 (Workflows cannot display it)");
        }

        if (card?["body"] is not JsonArray { Count: > 0 } elements || elements.Any(e => e?["type"] is null))
        {
            problems.Add("card body is not a non-empty array of typed elements");
        }

        return problems;
    }

    /// <summary>DingTalk: one <c>timestamp</c> (ms, within an hour) and one <c>sign</c> = urlencode(base64(HMAC-SHA256(secret, timestamp\nsecret))).</summary>
    public static List<string> DingTalk(HttpRequest request, JsonObject body, string secret)
    {
        List<string> problems = [];
        if (request.Query["timestamp"].Count != 1 || request.Query["sign"].Count != 1)
        {
            problems.Add("timestamp and sign must appear once each");
            return problems;
        }

        var timestamp = request.Query["timestamp"].ToString();
        if (!long.TryParse(timestamp, out var ms) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ms) > 3_600_000)
        {
            problems.Add("invalid timestamp");
        }

        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "\n" + secret)));
        var raw = request.QueryString.Value!.Split('&').Select(p => p.TrimStart('?')).Single(p => p.StartsWith("sign=", StringComparison.Ordinal))[5..];
        if (request.Query["sign"].ToString() != expected || raw.Contains("%25", StringComparison.Ordinal))
        {
            problems.Add("sign not match");
        }

        if (!DingTalkTypes.Contains(body["msgtype"]?.GetValue<string>()))
        {
            problems.Add("unknown msgtype");
        }

        if (body["msgtype"]?.GetValue<string>() == "markdown" && (body["markdown"]?["title"]?.GetValue<string>() is not { Length: > 0 } || body["markdown"]?["text"]?.GetValue<string>() is not { Length: > 0 }))
        {
            problems.Add("markdown needs title and text");
        }

        return problems;
    }

    /// <summary>Feishu: <c>timestamp</c> (s, within an hour) and <c>sign</c> = base64(HMAC-SHA256(key = timestamp\nsecret, empty)) in the body.</summary>
    public static List<string> Feishu(JsonObject body, string secret)
    {
        List<string> problems = [];
        var timestamp = body["timestamp"]?.GetValue<string>() ?? "";
        if (!long.TryParse(timestamp, out var seconds) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 3600)
        {
            problems.Add("timestamp is not within one hour");
        }

        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(timestamp + "\n" + secret), Array.Empty<byte>()));
        if (body["sign"]?.GetValue<string>() != expected)
        {
            problems.Add("sign match fail");
        }

        var type = body["msg_type"]?.GetValue<string>();
        if (!FeishuTypes.Contains(type))
        {
            problems.Add("unknown msg_type");
        }

        // An interactive card goes in a top-level card, not in content.
        if (type == "interactive" && body["card"] is not JsonObject { } card)
        {
            problems.Add("interactive without a top-level card");
        }
        else if (type == "interactive" && body["card"]!["elements"] is not JsonArray { Count: > 0 })
        {
            problems.Add("card without elements");
        }

        return problems;
    }

    /// <summary>WeCom: <c>msgtype: markdown</c> with <c>markdown.content</c> of at most 4096 UTF-8 bytes.</summary>
    public static List<string> WeCom(JsonObject body)
    {
        List<string> problems = [];
        if (body["msgtype"]?.GetValue<string>() != "markdown")
        {
            problems.Add("msgtype is not markdown");
        }

        if (body["markdown"]?["content"]?.GetValue<string>() is not { Length: > 0 } content || Encoding.UTF8.GetByteCount(content) > 4096)
        {
            problems.Add("markdown.content missing or over 4096 bytes");
        }

        return problems;
    }
}
