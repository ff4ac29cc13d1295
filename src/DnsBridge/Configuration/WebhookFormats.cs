namespace DnsBridge.Configuration;

/// <summary>
/// The values of <c>Alerts:Webhooks[].Format</c>: which vendor's body a webhook gets. Here (not in Alerts) because the
/// validator checks them and configuration may not depend on a feature.
/// </summary>
internal static class WebhookFormats
{
    public const string Json = "json";
    public const string Slack = "slack";
    public const string Teams = "teams";
    public const string DingTalk = "dingtalk";
    public const string Feishu = "feishu";
    public const string WeCom = "wecom";

    public static readonly IReadOnlyList<string> All = [Json, Slack, Teams, DingTalk, Feishu, WeCom];

    /// <summary>The formats whose robots check a signature made with <c>Secret</c>; on any other a Secret is a mistake.</summary>
    public static readonly IReadOnlyList<string> Signing = [DingTalk, Feishu];
}
