using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using DnsBridge.Configuration;
using DnsBridge.FunctionalTests.Infrastructure;

namespace DnsBridge.FunctionalTests.Alerts;

/// <summary>
/// Each format against a receiver on loopback that checks what its vendor documents (<see cref="VendorChecks"/>) and
/// answers as the vendor does: the robots refuse a bad signature with HTTP 200 and an error code, exactly what DnsBridge
/// must not count as delivered. Every request carries the event id as <c>Idempotency-Key</c>, whatever the format.
/// </summary>
public sealed class ChannelFormatTests : IAsyncLifetime
{
    private const string Secret = "SECchannel-test-secret";
    private readonly ConcurrentQueue<(string Format, string Key, List<string> Problems, JsonObject Body)> _seen = new();
    private TestUpstream _receiver = null!;

    // What a robot answers for the request: its documented success, or its documented refusal.
    private volatile string _dingTalkOverride = "";
    private volatile string _feishuOverride = "";

    public async Task InitializeAsync() =>
        _receiver = await TestUpstream.StartAsync(app =>
        {
            app.MapPost("/json/hook", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "json", b => [.. new[] { "id", "event", "cutover", "at", "text" }.Where(k => b[k] is null).Select(k => $"no {k}")], _ => Results.Ok())));
            app.MapPost("/slack/services/T0/B0/x", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "slack", b => VendorChecks.Slack(b), _ => Results.Text("ok"))));
            app.MapPost("/teams/workflows", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "teams", b => VendorChecks.Teams(b), _ => Results.StatusCode(202))));
            app.MapPost("/robot/send", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "dingtalk", b => VendorChecks.DingTalk(c.Request, b, Secret), p =>
                _dingTalkOverride is { Length: > 0 } o ? Results.Text(o, "application/json")
                : p.Count == 0 ? Results.Json(new { errcode = 0, errmsg = "ok" })
                : Results.Json(new { errcode = 310000, errmsg = string.Join("; ", p) }))));
            app.MapPost("/open-apis/bot/v2/hook/t0", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "feishu", b => VendorChecks.Feishu(b, Secret), p =>
                _feishuOverride is { Length: > 0 } o ? Results.Text(o, "application/json")
                : p.Count == 0 ? Results.Json(new { code = 0, msg = "success", data = new { } })
                : Results.Json(new { code = 19021, msg = string.Join("; ", p) }))));
            app.MapPost("/cgi-bin/webhook/send", (Func<HttpContext, Task<IResult>>)(c => Receive(c, "wecom", b => VendorChecks.WeCom(b), p =>
                p.Count == 0 ? Results.Json(new { errcode = 0, errmsg = "ok" }) : Results.Json(new { errcode = 40008, errmsg = string.Join("; ", p) }))));
        });

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<IResult> Receive(HttpContext c, string format, Func<JsonObject, List<string>> check, Func<List<string>, IResult> answer)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(c.Request.Body))!;
        var problems = check(body);
        if (!c.Request.ContentType!.StartsWith("application/json", StringComparison.Ordinal))
        {
            problems.Add($"content type {c.Request.ContentType}");
        }

        _seen.Enqueue((format, c.Request.Headers["Idempotency-Key"].ToString(), problems, body));
        return answer(problems);
    }

    private string Base => $"http://127.0.0.1:{_receiver.Port}";

    private WebhookConfig Hook(string format, string? secret = null) => new()
    {
        Name = format,
        Format = format,
        Secret = secret,
        Url = format switch
        {
            "json" => $"{Base}/json/hook",
            "slack" => $"{Base}/slack/services/T0/B0/x",
            "teams" => $"{Base}/teams/workflows?api-version=2016-06-01&sig=SIG",
            "dingtalk" => $"{Base}/robot/send?access_token=TOKEN",
            "feishu" => $"{Base}/open-apis/bot/v2/hook/t0",
            _ => $"{Base}/cgi-bin/webhook/send?key=KEY",
        },
    };

    private static OutboxHarness Harness(params WebhookConfig[] hooks)
    {
        var outbox = new OutboxHarness([.. hooks.Select(h => (h.Name, h.Url))]);
        outbox.Config = outbox.Config with
        {
            Alerts = outbox.Config.Alerts with { Webhooks = hooks },
            Cutovers = [new CutoverConfig { Name = "shop", Hosts = ["shop.example.com", "www.shop.example.com"], Target = new TargetConfig { Address = "203.0.113.10" } }],
        };
        return outbox;
    }

    [Fact]
    public async Task Every_format_is_what_its_vendor_documents_signed_where_it_signs_and_counted_delivered()
    {
        using var outbox = Harness(Hook("json"), Hook("slack"), Hook("teams"), Hook("dingtalk", Secret), Hook("feishu", Secret), Hook("wecom"));

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        Assert.Equal(6, _seen.Count);
        foreach (var (format, key, problems, body) in _seen)
        {
            Assert.True(problems.Count == 0, $"{format}: {string.Join("; ", problems)}\n{body.ToJsonString()}");
            Assert.Equal("e1", key);
            Assert.Contains("shop.example.com", body.ToJsonString(), StringComparison.Ordinal);
            Assert.Contains("shop: drained", body.ToJsonString(), StringComparison.Ordinal);
            if (format is "dingtalk" or "feishu")
            {
                // Robots with keyword security refuse a message without one of their keywords: "DnsBridge" is always there.
                Assert.Contains("DnsBridge", body.ToJsonString(), StringComparison.Ordinal);
            }
        }

        Assert.All(outbox.Stores.Events.Outbox("e1"), row => Assert.NotNull(row.DeliveredAt));
        Assert.Equal(6, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_robot_with_200_and_failed_at_once_not_delivered()
    {
        using var outbox = Harness(Hook("dingtalk", "SECwrong"), Hook("feishu", "SECwrong"));

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var rows = outbox.Stores.Events.Outbox("e1").ToDictionary(r => r.Receiver);
        Assert.Null(rows["dingtalk"].DeliveredAt);
        Assert.NotNull(rows["dingtalk"].FailedAt);
        Assert.StartsWith("DingTalk errcode 310000 (sign not match", rows["dingtalk"].LastError, StringComparison.Ordinal);
        Assert.Null(rows["feishu"].DeliveredAt);
        Assert.NotNull(rows["feishu"].FailedAt);
        Assert.StartsWith("Feishu code 19021", rows["feishu"].LastError, StringComparison.Ordinal);
        Assert.Equal(0, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));
        Assert.Equal(2, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "rejected")));
    }

    [Fact]
    public async Task A_robot_rate_limit_answered_with_200_is_retried_later_with_the_same_key_and_not_counted_delivered()
    {
        _dingTalkOverride = """{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}""";
        _feishuOverride = """{"code":11232,"msg":"frequency limited"}""";
        using var outbox = Harness(Hook("dingtalk", Secret), Hook("feishu", Secret));

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);

        var rows = outbox.Stores.Events.Outbox("e1");
        Assert.All(rows, r => Assert.Null(r.DeliveredAt));
        Assert.All(rows, r => Assert.Null(r.FailedAt));
        Assert.Equal(2, await outbox.MetricAsync("dnsbridge_alerts_pending", ("event", "drain_complete")));
        Assert.Equal(2, await outbox.MetricAsync("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "retry")));

        // DingTalk blocks a robot for ten minutes past its limit: its row is not due before then, Feishu's is sooner.
        var due = outbox.Stores.Events.DueDeliveries(DateTimeOffset.UtcNow.AddMinutes(9));
        Assert.Equal(["feishu"], due.Select(d => d.Receiver));

        _dingTalkOverride = "";
        _feishuOverride = "";
        _seen.Clear();
        foreach (var d in outbox.Stores.Events.DueDeliveries(DateTimeOffset.UtcNow.AddMinutes(11)))
        {
            Assert.True(outbox.Stores.Events.MarkRetry(d.EventId, d.Receiver, DateTimeOffset.UtcNow.AddSeconds(-1), "test: due now"));
        }

        await outbox.Dispatcher.DeliverDueAsync(CancellationToken.None);
        Assert.Equal(["e1", "e1"], _seen.Select(s => s.Key));
        Assert.All(_seen, s => Assert.Empty(s.Problems));
        Assert.All(outbox.Stores.Events.Outbox("e1"), r => Assert.NotNull(r.DeliveredAt));
    }
}
