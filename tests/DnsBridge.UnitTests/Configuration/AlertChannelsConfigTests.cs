using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary><c>Alerts:Webhooks[].Format</c> and <c>Secret</c>, and <c>Alerts:Email</c>: mistakes reported at their key path, secrets never echoed.</summary>
public sealed class AlertChannelsConfigTests
{
    private const string Password = "P4SSWORD-never-shown";

    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string alerts)
    {
        var json = $$"""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ], "Alerts": {{alerts}} } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void Formats_default_to_json_are_case_insensitive_and_email_is_one_more_receiver()
    {
        var (config, errors) = Load("""
            { "Webhooks": [ { "Url": "https://a.test/x" }, { "Url": "https://oapi.dingtalk.com/robot/send?access_token=t", "Format": "DingTalk", "Secret": "SEC1" },
                            { "Url": "https://open.feishu.cn/open-apis/bot/v2/hook/t", "Format": "feishu" } ],
              "Email": { "Host": "smtp.example.com", "From": "dnsbridge@example.com", "To": [ "ops@example.com" ] } }
            """);

        Assert.Empty(errors);
        Assert.Equal(["json", "dingtalk", "feishu"], config.Alerts.Webhooks.Select(w => w.Format));
        Assert.Equal(["a.test", "oapi.dingtalk.com", "open.feishu.cn", "email"], config.Alerts.Receivers);
        Assert.Equal(587, config.Alerts.Email!.EffectivePort);
        Assert.True(config.Alerts.Email.UsesStartTls);
    }

    [Theory]
    [InlineData("""{ "StartTls": false }""", 465)]
    [InlineData("""{ "Tls": false }""", 25)]
    [InlineData("""{ "Port": 2525 }""", 2525)]
    public void Email_port_follows_the_tls_mode(string extra, int port)
    {
        var email = $$"""{ "Host": "smtp.example.com", "From": "a@example.com", "To": [ "b@example.com" ] }""";
        var merged = email.TrimEnd('}') + "," + extra.TrimStart('{');
        var (config, errors) = Load($$"""{ "Email": {{merged}} }""");

        Assert.Empty(errors);
        Assert.Equal(port, config.Alerts.Email!.EffectivePort);
    }

    [Theory]
    [InlineData("""{ "Webhooks": [ { "Url": "https://a.test/", "Format": "discord" } ] }""", "DnsBridge:Alerts:Webhooks:0:Format", "one of json, slack, teams, dingtalk, feishu, wecom")]
    [InlineData("""{ "Webhooks": [ { "Url": "https://hooks.slack.com/x", "Format": "slack", "Secret": "S3CRET-VALUE" } ] }""", "DnsBridge:Alerts:Webhooks:0:Secret", "only applies to the formats that sign")]
    [InlineData("""{ "Webhooks": [ { "Url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "Format": "wecom", "Secret": "S3CRET-VALUE" } ] }""", "DnsBridge:Alerts:Webhooks:0:Secret", "only applies")]
    [InlineData("""{ "Webhooks": [ { "Url": "https://x.webhook.office.com/webhookb2/abc", "Format": "teams" } ] }""", "DnsBridge:Alerts:Webhooks:0:Url", "Workflows")]
    [InlineData("""{ "Webhooks": [ { "Name": "email", "Url": "https://a.test/" } ], "Email": { "Host": "h", "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Webhooks:0:Name", "Email")]
    [InlineData("""{ "Email": { "Host": "h", "From": "a@example.com" } }""", "DnsBridge:Alerts:Email:To", "at least one")]
    [InlineData("""{ "Email": { "Host": "h", "From": "a@example.com", "To": [ "not an address" ] } }""", "DnsBridge:Alerts:Email:To:0", "mail address")]
    [InlineData("""{ "Email": { "Host": "h", "Port": 70000, "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Port", "1-65535")]
    [InlineData("""{ "Email": { "Host": "h", "Port": 0, "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Port", "1-65535")]
    [InlineData("""{ "Email": { "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Host", "required")]
    [InlineData("""{ "Email": { "Host": "h", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:From", "required")]
    [InlineData("""{ "Email": { "Host": "h", "Tls": false, "Username": "u", "Password": "P4SSWORD-never-shown", "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Tls", "never sent without TLS")]
    [InlineData("""{ "Email": { "Host": "h", "Username": "u", "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Password", "DNSBRIDGE__Alerts__Email__Password")]
    [InlineData("""{ "Email": { "Host": "h", "Tls": false, "StartTls": true, "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:StartTls", "only applies with TLS")]
    [InlineData("""{ "Email": { "Host": "h", "From": "a@example.com", "To": [ "b@example.com" ], "CaFile": "/nonexistent/ca.pem" } }""", "DnsBridge:Alerts:Email:CaFile", "not found")]
    [InlineData("""{ "Email": { "Host": "h", "Sender": "a@example.com", "From": "a@example.com", "To": [ "b@example.com" ] } }""", "DnsBridge:Alerts:Email:Sender", "unknown key")]
    public void A_bad_channel_setting_is_reported_at_its_key_path_without_its_secret(string alerts, string path, string message)
    {
        var (_, errors) = Load(alerts);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CRET-VALUE", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.@example.com", "b@example.com", "DnsBridge:Alerts:Email:From")]
    [InlineData("a@example.com", "b.@example.com", "DnsBridge:Alerts:Email:To:0")]
    [InlineData("localpart-only", "b@example.com", "DnsBridge:Alerts:Email:From")]
    public void An_address_the_mail_builder_cannot_parse_is_refused_at_its_key_path(string from, string to, string path)
    {
        var (_, errors) = Load($$"""{ "Email": { "Host": "h", "From": "{{from}}", "To": [ "{{to}}" ] } }""");

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains("must be a mail address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_address_the_validator_accepts_builds_a_mail()
    {
        var email = new { Host = "h", From = "DnsBridge <dnsbridge@example.com>", To = new[] { "ops@example.com", "\"On Call\" <oncall@example.com>", "x+tag@sub.example.com" } };
        var (config, errors) = Load($$"""{ "Email": {{System.Text.Json.JsonSerializer.Serialize(email)}} }""");

        Assert.Empty(errors);
        var message = new DnsBridge.Alerts.Formats.AlertMessage("e1", "drain_complete", "shop", DateTimeOffset.UnixEpoch, "shop: drained", null, null);
        var mail = DnsBridge.Alerts.Email.EmailBody.Build(message, config.Alerts.Email!.From, config.Alerts.Email.To);
        Assert.Equal(["ops@example.com", "oncall@example.com", "x+tag@sub.example.com"], mail.To.Mailboxes.Select(m => m.Address));
    }
}
