using DnsBridge.Alerts;
using DnsBridge.Configuration;

namespace DnsBridge.UnitTests.Alerts;

/// <summary>Which configured webhook an outbox row goes to, for rows written by name and rows of a release before names.</summary>
public sealed class ReceiverResolutionTests
{
    private static AlertsConfig Alerts(params (string? Name, string Url)[] webhooks) =>
        new() { Webhooks = [.. webhooks.Select(w => new WebhookConfig { Name = w.Name!, Url = w.Url })] };

    [Fact]
    public void A_row_names_its_webhook_whatever_its_url_is_now()
    {
        var alerts = Alerts(("ops", "https://hooks.slack.com/services/NEW"), ("eng", "https://hooks.slack.com/services/ENG"));
        Assert.Equal("https://hooks.slack.com/services/NEW", OutboxDispatcher.Resolve(alerts, "ops")!.Url);
        Assert.Equal("https://hooks.slack.com/services/NEW", OutboxDispatcher.Resolve(alerts, "OPS")!.Url);
    }

    [Fact]
    public void A_row_from_before_names_finds_its_webhook_by_the_url_it_holds_even_when_names_were_added()
    {
        var alerts = Alerts(("ops", "https://hooks.slack.com/services/OPS"), ("eng", "https://hooks.slack.com/services/ENG"));
        Assert.Equal("eng", OutboxDispatcher.Resolve(alerts, "https://hooks.slack.com/services/ENG")!.Name);
    }

    [Fact]
    public void A_row_from_before_names_follows_an_edited_url_when_one_webhook_is_on_its_host()
    {
        var alone = Alerts((null, "https://hooks.example.net/rotated-token"));
        Assert.Equal("hooks.example.net", OutboxDispatcher.Resolve(alone, "https://hooks.example.net/old-token")!.Name);

        // Two webhooks on that host: the row cannot say which, so it is not sent to either.
        var two = Alerts(("a", "https://hooks.example.net/a"), ("b", "https://hooks.example.net/b"));
        Assert.Null(OutboxDispatcher.Resolve(two, "https://hooks.example.net/old-token"));
        Assert.Null(OutboxDispatcher.Resolve(two, "gone"));
    }
}
