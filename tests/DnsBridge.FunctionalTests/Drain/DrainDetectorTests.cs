using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using DnsBridge.Alerts;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Drain;

/// <summary>
/// Every drain transition, driven by a fake clock through a real DnsBridge (real forwarder, real SQLite store,
/// real webhook receiver): snapshots are fed to the detector as the propagation monitor would.
/// </summary>
public sealed class DrainDetectorTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<(string Key, string Body, int Status)> _deliveries = new();
    private readonly string _state = Path.Combine(Directory.CreateTempSubdirectory("dnsbridge-drain").FullName, "state.db");
    private int _failFirst;
    private int _status = 200;
    private TestUpstream _target = null!;
    private TestUpstream _receiver = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        _receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", async (HttpContext c) =>
        {
            var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
            var status = Interlocked.Decrement(ref _failFirst) >= 0 ? 503 : _status;
            _deliveries.Enqueue((c.Request.Headers["Idempotency-Key"].ToString(), body, status));
            return Results.StatusCode(status);
        }));
        _bridge = await StartBridgeAsync();
    }

    private Task<BridgeHost> StartBridgeAsync() => BridgeHost.StartAsync(new
    {
        Cutovers = new[]
        {
            new
            {
                Name = "shop",
                Hosts = new[] { Host },
                Target = new { _target.Address, _target.Port, Scheme = "http" },
                SourceAddresses = new[] { "198.51.100.7" },
                Drain = new { QuietPeriod = "00:10:00", Threshold = 0, Exclude = new { Paths = new[] { "/healthz" } } },
            },
        },
        Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{_receiver.Port}/hook", Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer top-secret" } } } },
        State = new { Path = _state },
    }, s => s.AddSingleton<TimeProvider>(_time));

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _receiver.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_state)!, recursive: true);
    }

    private DrainDetector Detector => _bridge.Services.GetRequiredService<DrainDetector>();

    private DrainState State => Detector.Status("shop")!.State;

    private static ResolverResult R(string name, ResolverAnswer answer, DateTimeOffset at, int ttl = 300, bool authoritative = false) =>
        new(new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "Europe", "op", authoritative), answer, [], [], ttl, null, null, at, TimeSpan.Zero);

    private void Feed(ResolverAnswer authoritative, params ResolverAnswer[] resolvers)
    {
        var now = _time.GetUtcNow();
        var results = resolvers.Select((a, i) => R($"r{i}", a, now)).Append(R("ns", authoritative, now, authoritative: true)).ToList();
        Detector.OnSnapshot(PropagationPoller.Summarize("shop", now, results));
    }

    /// <summary>Advances the fake clock a second at a time, so the detector's timer ticks as it would.</summary>
    private void Advance(int seconds) => _time.AdvanceTicking(Detector, seconds);

    private async Task RequestAsync(string path = "/page")
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        using var response = await client.GetAsync($"http://{Host}{path}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement> ApiAsync()
    {
        using var admin = _bridge.CreateAdminClient();
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/cutovers/shop"));
        return doc.RootElement.Clone();
    }

    private string[] Events() => [.. _bridge.Services.GetRequiredService<DnsBridge.State.IEventStore>().Events("shop").Select(e => e.Event)];

    private async Task DriveToDrainedAsync()
    {
        Feed(ResolverAnswer.Source, ResolverAnswer.Source, ResolverAnswer.Source);
        Feed(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Source);
        Feed(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Target);
        await RequestAsync();
        Advance(301 + 61);
        Advance(600);
    }

    [Fact]
    public async Task Walks_pending_propagating_draining_quiet_drained_and_back_on_late_traffic()
    {
        Assert.Equal(DrainState.Pending, State);
        Assert.Equal(1, _bridge.Metric("dnsbridge_drain_state", ("cutover", "shop"), ("state", "pending")));

        Feed(ResolverAnswer.Source, ResolverAnswer.Target, ResolverAnswer.Source);
        Assert.Equal(DrainState.Pending, State);

        Feed(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Source);
        Assert.Equal(DrainState.Propagating, State);

        Feed(ResolverAnswer.Target, ResolverAnswer.Target, ResolverAnswer.Target);
        Assert.Equal(DrainState.Draining, State);
        Assert.Equal([EventNames.DnsSwitched, EventNames.PropagationComplete], Events());

        // Residual traffic keeps it draining; quiet may not start before the stale caches (TTL 300 s) expired.
        await RequestAsync();
        Advance(120);
        Assert.Equal(DrainState.Draining, State);
        Advance(200);
        Assert.Equal(DrainState.Quiet, State);

        // A residual request during the quiet period breaks it; excluded health checks do not.
        await RequestAsync("/healthz");
        Advance(2);
        Assert.Equal(DrainState.Quiet, State);
        await RequestAsync();
        Advance(1);
        Assert.Equal(DrainState.Draining, State);

        Advance(61);
        Assert.Equal(DrainState.Quiet, State);
        Advance(599);
        Assert.Equal(DrainState.Quiet, State);
        Advance(1);
        Assert.Equal(DrainState.Drained, State);
        Assert.Equal(1, _bridge.Metric("dnsbridge_drain_state", ("cutover", "shop"), ("state", "drained")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_drain_state", ("cutover", "shop"), ("state", "quiet")));

        Advance(3600);
        Assert.Equal([EventNames.DnsSwitched, EventNames.PropagationComplete, EventNames.DrainComplete], Events());

        await RequestAsync();
        Advance(1);
        Assert.Equal(DrainState.Draining, State);
        Assert.Equal(EventNames.DrainRegressed, Events()[^1]);
        Assert.Equal(1, Events().Count(e => e == EventNames.DrainComplete));
    }

    [Fact]
    public async Task Without_authoritative_servers_the_first_target_answer_marks_the_switch()
    {
        var now = _time.GetUtcNow();
        Detector.OnSnapshot(PropagationPoller.Summarize("shop", now, [R("a", ResolverAnswer.Source, now), R("b", ResolverAnswer.Source, now)]));
        Assert.Equal(DrainState.Pending, State);

        Detector.OnSnapshot(PropagationPoller.Summarize("shop", now, [R("a", ResolverAnswer.Target, now), R("b", ResolverAnswer.Source, now)]));
        Assert.Equal(DrainState.Propagating, State);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Drain_complete_is_delivered_once_through_receiver_failures_with_an_idempotency_key()
    {
        _failFirst = 2;
        await DriveToDrainedAsync();
        Assert.Equal(DrainState.Drained, State);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await ApiAsync()).GetProperty("pendingAlerts").GetArrayLength() > 0 && DateTime.UtcNow < deadline)
        {
            Advance(5);
            await Task.Delay(20);
        }

        var drained = _deliveries.Where(d => d.Body.Contains("\"drain_complete\"", StringComparison.Ordinal)).ToList();
        Assert.Single(drained, d => d.Status == 200);
        Assert.Single(drained.Select(d => d.Key).Distinct());
        using var body = JsonDocument.Parse(drained[^1].Body);
        Assert.Equal("drain_complete", body.RootElement.GetProperty("event").GetString());
        Assert.Equal("shop", body.RootElement.GetProperty("cutover").GetString());
        Assert.Equal(drained[^1].Key, body.RootElement.GetProperty("id").GetString());
        Assert.EndsWith("Z", body.RootElement.GetProperty("at").GetString(), StringComparison.Ordinal);
        Assert.Contains("can be decommissioned", body.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);

        // Nothing is sent again, however long we wait: 50 dispatcher passes a known number of times, 10 minutes of fake
        // time apart (past the backoff's cap, so a row left due would be due at every one of them).
        var count = _deliveries.Count;
        var dispatcher = _bridge.Services.GetRequiredService<OutboxDispatcher>();
        for (var pass = 0; pass < 50; pass++)
        {
            _time.Advance(TimeSpan.FromMinutes(10));
            await dispatcher.DeliverDueAsync(CancellationToken.None);
        }

        Assert.Equal(count, _deliveries.Count);
        Assert.Equal(1, _bridge.Metric("dnsbridge_alerts_sent_total", ("event", "drain_complete"), ("outcome", "delivered")));
        Assert.True(_bridge.Metric("dnsbridge_alerts_sent_total", ("outcome", "retry")) >= 2);
        Assert.DoesNotContain("top-secret", _bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal(0, (await ApiAsync()).GetProperty("pendingAlerts").GetArrayLength());
    }

    [Fact]
    public async Task A_receiver_answering_4xx_is_not_retried()
    {
        _status = 400;
        Feed(ResolverAnswer.Source, ResolverAnswer.Source);
        Feed(ResolverAnswer.Target, ResolverAnswer.Target);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_deliveries.Count < 2 && DateTime.UtcNow < deadline)
        {
            Advance(1);
            await Task.Delay(20);
        }

        // An hour later (the drain completes meanwhile and raises its own event) no event was ever sent twice.
        Advance(3600);
        await Task.Delay(200);
        Assert.All(_deliveries.GroupBy(d => d.Key), g => Assert.Single(g));
        Assert.Equal(_deliveries.Count, _bridge.Metric("dnsbridge_alerts_sent_total", ("outcome", "rejected")));
        Assert.Equal(0, _bridge.Metric("dnsbridge_alerts_sent_total", ("outcome", "retry")));
        var pending = (await ApiAsync()).GetProperty("pendingAlerts");
        Assert.All(pending.EnumerateArray(), p => Assert.True(p.GetProperty("failed").GetBoolean()));
    }

    [Fact]
    public async Task State_survives_a_restart_drained_stays_drained_and_nothing_is_raised_twice()
    {
        await DriveToDrainedAsync();
        await RequestAsync("/healthz");
        Advance(2);
        var total = Detector.Status("shop")!.ResidualTotal;
        Assert.Equal(1, total);
        await _bridge.DisposeAsync();

        _bridge = await StartBridgeAsync();
        Assert.Equal(DrainState.Drained, State);
        Assert.Equal(1, Detector.Status("shop")!.ResidualTotal);
        Assert.Equal(1, _bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
        Advance(60);
        Assert.Equal(1, Events().Count(e => e == EventNames.DrainComplete));

        var api = await ApiAsync();
        Assert.Equal("drained", api.GetProperty("drain").GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_api_shows_residual_rates_top_clients_and_user_agents()
    {
        using var client = LoopbackClient.Create(_bridge.ProxyEndPoint);
        foreach (var (ip, agent) in new[] { ("203.0.113.5", "JavaApp/1.8"), ("203.0.113.5", "JavaApp/1.8"), ("203.0.113.6", "curl/8") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{Host}/");
            request.Headers.Add("X-Forwarded-For", ip);
            request.Headers.UserAgent.ParseAdd(agent);
            using var response = await client.SendAsync(request);
        }

        var residual = (await ApiAsync()).GetProperty("residual");
        Assert.Equal(3, residual.GetProperty("total").GetInt64());
        Assert.Equal(3, residual.GetProperty("perMinute1m").GetInt64());
        Assert.Equal(2, residual.GetProperty("distinctClients1h").GetInt32());
        var top = residual.GetProperty("topClients")[0];
        Assert.Equal("203.0.113.5", top.GetProperty("client").GetString());
        Assert.Equal(2, top.GetProperty("requests").GetInt64());
        Assert.Equal("JavaApp/1.8", residual.GetProperty("topUserAgents")[0].GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task The_report_tells_the_timeline_in_markdown_and_html()
    {
        await DriveToDrainedAsync();
        using var admin = _bridge.CreateAdminClient();

        var markdown = await admin.GetStringAsync("/api/cutovers/shop/report");
        Assert.StartsWith("# Cutover report: shop", markdown, StringComparison.Ordinal);
        Assert.Contains("| 2026-11-24", markdown, StringComparison.Ordinal);
        Assert.Contains("drain_complete", markdown, StringComparison.Ordinal);
        Assert.Contains("Verdict: DRAINED since", markdown, StringComparison.Ordinal);
        Assert.Contains("## Residual traffic per hour", markdown, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/cutovers/shop/report");
        request.Headers.Accept.ParseAdd("text/html");
        using var html = await admin.SendAsync(request);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<h2>Timeline</h2>", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/cutovers/nope/report")).StatusCode);
    }
}
