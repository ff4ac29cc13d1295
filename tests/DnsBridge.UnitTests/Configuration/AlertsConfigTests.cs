using DnsBridge.Cli;
using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary><c>Alerts</c>: webhook names (the outbox's receivers), <c>GiveUpAfter</c>, and webhook URLs never echoed.</summary>
public sealed class AlertsConfigTests
{
    private static (DnsBridgeConfig Config, IReadOnlyList<ConfigError> Errors) Load(string alerts)
    {
        var json = $$"""{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ], "Alerts": {{alerts}} } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    [Fact]
    public void A_webhook_is_named_by_its_host_unless_named_and_retries_have_no_bound_by_default()
    {
        var (config, errors) = Load("""{ "Webhooks": [ { "Url": "https://Hooks.Slack.com/services/T0/B0/x" }, { "Name": "pager", "Url": "https://hooks.slack.com/services/T1/B1/y" } ] }""");

        Assert.Empty(errors);
        Assert.Equal(["hooks.slack.com", "pager"], config.Alerts.Webhooks.Select(w => w.Name));
        Assert.Null(config.Alerts.GiveUpAfter);
    }

    [Theory]
    [InlineData("01:00:00", 0, 1, 0)]
    [InlineData("2.12:00:00", 2, 12, 0)]
    public void GiveUpAfter_is_a_duration(string raw, int days, int hours, int minutes)
    {
        var (config, errors) = Load($$"""{ "GiveUpAfter": "{{raw}}" }""");

        Assert.Empty(errors);
        Assert.Equal(new TimeSpan(days, hours, minutes, 0), config.Alerts.GiveUpAfter);
    }

    [Theory]
    [InlineData("2h")]
    [InlineData("30")]
    [InlineData("00:00:00")]
    [InlineData("-01:00:00")]
    public void A_bad_GiveUpAfter_is_reported_at_its_key_path(string raw)
    {
        var (_, errors) = Load($$"""{ "GiveUpAfter": "{{raw}}" }""");

        Assert.Equal("DnsBridge:Alerts:GiveUpAfter", Assert.Single(errors).Path);
    }

    [Fact]
    public void Two_webhooks_under_one_name_are_refused_where_the_second_is()
    {
        var (_, errors) = Load("""{ "Webhooks": [ { "Url": "https://hooks.slack.com/a" }, { "Url": "https://hooks.slack.com/b" }, { "Name": "HOOKS.slack.com", "Url": "https://x.test/" } ] }""");

        Assert.Equal(["DnsBridge:Alerts:Webhooks:1:Name", "DnsBridge:Alerts:Webhooks:2:Name"], errors.Select(e => e.Path));
        Assert.Contains("DnsBridge:Alerts:Webhooks:0", errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("htps://hooks.slack.com/services/T0/B0/SECRET?token=QSECRET")]
    [InlineData("hooks.slack.com/services/T0/B0/SECRET?token=QSECRET")]
    public void An_invalid_url_is_reported_without_its_path_or_query(string url)
    {
        var (_, errors) = Load($$"""{ "Webhooks": [ { "Url": "{{url}}" } ] }""");

        var error = Assert.Single(errors);
        Assert.Equal("DnsBridge:Alerts:Webhooks:0:Url", error.Path);
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
        Assert.Contains($"#{WebhookDisplay.Fingerprint(url)}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_webhook_is_shown_as_scheme_host_port_and_a_stable_fingerprint()
    {
        const string url = "https://hooks.slack.com/services/T0/B0/SECRET?token=QSECRET";

        Assert.Matches("^https://hooks\\.slack\\.com:443 #[0-9a-f]{8}$", WebhookDisplay.Of(url));
        Assert.Equal(WebhookDisplay.Of(url), WebhookDisplay.Of(url));
        Assert.NotEqual(WebhookDisplay.Of(url), WebhookDisplay.Of(url.Replace("T0", "T1", StringComparison.Ordinal)));
        Assert.Equal("http://10.0.0.5:8080 #" + WebhookDisplay.Fingerprint("http://user:pw@10.0.0.5:8080/x"), WebhookDisplay.Of("http://user:pw@10.0.0.5:8080/x"));
        Assert.Equal("ops", WebhookDisplay.Receiver("ops"));
        Assert.Equal(WebhookDisplay.Of(url), WebhookDisplay.Receiver(url));
    }

    [Fact]
    public async Task Validate_exits_2_on_a_bad_GiveUpAfter_and_names_the_key()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dnsbridge-alerts-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{ "DnsBridge": { "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.com" ], "Target": { "Address": "203.0.113.10" } } ], "Alerts": { "GiveUpAfter": "forever" } } }""");
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.Equal(2, await DnsBridgeCommand.RunAsync(["validate", "--config", file], stdout, stderr));
            Assert.Contains("DnsBridge:Alerts:GiveUpAfter", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
