using System.Text.Json.Nodes;
using DnsBridge.Alerts.Formats;
using DnsBridge.Configuration;
using DnsBridge.Events;

namespace DnsBridge.UnitTests.Alerts;

/// <summary>The default webhook body: the contract's keys for every event, and phase_changed's fields beside them.</summary>
public sealed class JsonBodyTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 18, 42, 7, TimeSpan.Zero);
    private static readonly WebhookConfig Webhook = new() { Url = "http://127.0.0.1:9/hook" };

    [Fact]
    public void An_event_without_fields_has_exactly_the_keys_it_always_had()
    {
        var e = new CutoverEvent("e1", "shop", EventNames.DrainComplete, At, "shop: drained");

        var (_, body) = new JsonBody().Build(AlertMessage.Of(e, null), Webhook, At);

        Assert.Equal(["id", "event", "cutover", "at", "text", "hosts", "target"], body.Select(p => p.Key));
    }

    [Fact]
    public void Phase_changed_carries_from_to_by_forced_beside_the_contract_and_never_in_place_of_it()
    {
        var e = new CutoverEvent("e2", "shop", EventNames.PhaseChanged, At, "shop: phase changed from frozen to switched by auto",
            """{"from":"frozen","to":"switched","by":"auto","forced":false,"event":"not this","text":"nor this"}""");

        var (_, body) = new JsonBody().Build(AlertMessage.Of(e, null), Webhook, At);

        Assert.Equal(EventNames.PhaseChanged, body["event"]!.GetValue<string>());
        Assert.Equal("shop: phase changed from frozen to switched by auto", body["text"]!.GetValue<string>());
        Assert.Equal("2026-11-24T18:42:07.000Z", body["at"]!.GetValue<string>());
        Assert.Equal(("frozen", "switched", "auto", false),
            (body["from"]!.GetValue<string>(), body["to"]!.GetValue<string>(), body["by"]!.GetValue<string>(), body["forced"]!.GetValue<bool>()));
        Assert.IsType<JsonObject>(JsonNode.Parse(body.ToJsonString()));
    }
}
