using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>The default body, unchanged from before formats existed: receivers written against it keep working.</summary>
public sealed class JsonBody : IWebhookFormat
{
    public bool ReadsBody => false;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        return (webhook.Url, new JsonObject
        {
            ["id"] = message.Id,
            ["event"] = message.Event,
            ["cutover"] = message.Cutover,
            ["at"] = message.AtIso,
            ["text"] = message.Text,
            ["hosts"] = message.Hosts is null ? null : new JsonArray([.. message.Hosts.Select(h => (JsonNode?)h)]),
            ["target"] = message.Target,
        });
    }

    public SendOutcome? Judge(HttpStatusCode status, string body) => null;
}
