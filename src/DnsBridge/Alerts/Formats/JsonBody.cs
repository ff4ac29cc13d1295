using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>The default body, unchanged from before formats existed: receivers written against it keep working.</summary>
internal sealed class JsonBody : IWebhookFormat
{
    public bool ReadsBody => false;

    public (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(webhook);
        var body = new JsonObject
        {
            ["id"] = message.Id,
            ["event"] = message.Event,
            ["cutover"] = message.Cutover,
            ["at"] = message.AtIso,
            ["text"] = message.Text,
            ["hosts"] = message.Hosts is null ? null : new JsonArray([.. message.Hosts.Select(h => (JsonNode?)h)]),
            ["target"] = message.Target,
        };

        // The event's structured facts (phase_changed: from, to, by, forced) beside the others; never in place of one.
        if (message.Fields is not null && JsonNode.Parse(message.Fields) is JsonObject fields)
        {
            foreach (var (name, value) in fields.ToList())
            {
                if (!body.ContainsKey(name))
                {
                    fields.Remove(name);
                    body[name] = value;
                }
            }
        }

        return (webhook.Url, body);
    }

    public SendOutcome? Judge(HttpStatusCode status, string body) => null;
}
