using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>
/// One vendor's body (and, for DingTalk, its signed URL) built from an <see cref="AlertMessage"/>, and how to read its
/// answer. The dispatcher adds the headers (<c>Idempotency-Key</c> for every format), sends, and keeps the outbox.
/// </summary>
internal interface IWebhookFormat
{
    /// <summary>
    /// The URL and JSON body of one attempt. Called for every attempt, never cached: a signature's timestamp expires
    /// after an hour, and a retry must not carry a stale one.
    /// </summary>
    (string Url, JsonObject Body) Build(AlertMessage message, WebhookConfig webhook, DateTimeOffset now);

    /// <summary>The verdict the answer's body gives, or null when its HTTP status alone decides.</summary>
    SendOutcome? Judge(HttpStatusCode status, string body);

    /// <summary>Whether <see cref="Judge"/> reads the body (the others are not even read).</summary>
    bool ReadsBody { get; }
}
