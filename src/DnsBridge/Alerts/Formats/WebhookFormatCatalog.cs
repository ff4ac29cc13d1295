using DnsBridge.Configuration;

namespace DnsBridge.Alerts.Formats;

/// <summary>The format of each <c>Format</c> value; the validator admits only these.</summary>
internal static class WebhookFormatCatalog
{
    private static readonly Dictionary<string, IWebhookFormat> Formats = new(StringComparer.OrdinalIgnoreCase)
    {
        [WebhookFormats.Json] = new JsonBody(),
        [WebhookFormats.Slack] = new SlackBody(),
        [WebhookFormats.Teams] = new TeamsBody(),
        [WebhookFormats.DingTalk] = new DingTalkBody(),
        [WebhookFormats.Feishu] = new FeishuBody(),
        [WebhookFormats.WeCom] = new WeComBody(),
    };

    public static IWebhookFormat For(string format) => Formats.TryGetValue(format, out var f) ? f : Formats[WebhookFormats.Json];
}
