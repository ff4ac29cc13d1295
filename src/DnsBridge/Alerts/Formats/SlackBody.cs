using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// Slack incoming webhook: Block Kit <c>blocks</c> (header, the text, the facts, a context line) with <c>text</c> as
/// the notification fallback Slack requires alongside blocks. Slack rejects a header over 150 characters and a section
/// over 3,000 with 400, so both are cut well before. Errors come as 4xx/5xx: the status decides.
/// </summary>
internal sealed class SlackBody : IWebhookFormat
{
    private const int MaxHeader = 150;
    private const int MaxSection = 2500;

    public bool ReadsBody => false;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var fields = new JsonArray(
            Mrkdwn($"*Cutover*\n{Escape(message.Cutover)}"),
            Mrkdwn($"*Event*\n`{message.Event}`"),
            Mrkdwn($"*Hosts*\n{Escape(message.HostsText)}"),
            Mrkdwn($"*Target*\n{Escape(message.Target ?? "-")}"));
        return (webhook.Url, new JsonObject
        {
            ["text"] = message.Summary,
            ["blocks"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "header",
                    ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cut($"{message.Title}: {message.Cutover}", MaxHeader) },
                },
                new JsonObject { ["type"] = "section", ["text"] = Mrkdwn(Cut(Escape(message.Text), MaxSection)) },
                new JsonObject { ["type"] = "section", ["fields"] = fields },
                new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(Mrkdwn($"{message.AtText} · event {message.Id}")) }),
        });
    }

    public SendOutcome? Judge(HttpStatusCode status, string body) => null;

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary>The three characters Slack's mrkdwn reserves for links and mentions.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    internal static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
