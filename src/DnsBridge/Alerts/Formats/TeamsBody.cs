using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// Microsoft Teams Workflows webhook: the <c>message</c> envelope with one Adaptive Card attachment, card version 1.4
/// because the "Post card in a chat or channel" action shows 1.5 cards as "couldn't be displayed" while the flow
/// reports success. A 2xx means the flow accepted the card, not that anyone saw it: Teams gives no more.
/// </summary>
internal sealed class TeamsBody : IWebhookFormat
{
    public bool ReadsBody => false;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var facts = new JsonArray(
            Fact("Cutover", message.Cutover),
            Fact("Event", message.Event),
            Fact("Hosts", message.HostsText),
            Fact("Target", message.Target ?? "-"),
            Fact("At", message.AtText),
            Fact("Event id", message.Id));
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "TextBlock",
                    ["text"] = $"{message.Title}: {message.Cutover}",
                    ["weight"] = "Bolder",
                    ["size"] = "Medium",
                    ["wrap"] = true,
                    ["color"] = message.Tone switch { "good" => "Good", "bad" => "Attention", _ => "Default" },
                },
                new JsonObject { ["type"] = "TextBlock", ["text"] = message.Text, ["wrap"] = true },
                new JsonObject { ["type"] = "FactSet", ["facts"] = facts }),
            ["msteams"] = new JsonObject { ["width"] = "Full" },
        };
        return (webhook.Url, new JsonObject
        {
            ["type"] = "message",
            ["summary"] = message.Summary,
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = card,
            }),
        });
    }

    public SendOutcome? Judge(HttpStatusCode status, string body) => null;

    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = value };
}
