using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// Cutover phases on real servers: rehearsal forwards to the source backend, frozen holds and the switch releases every
/// held request to the target, Hold and MaxHeld answer 503, rollback goes back to the source; the API's and the CLI's
/// answers and exit codes; phase_changed delivered once; the phase survives a restart.
/// </summary>
public sealed class PhaseTests : IAsyncLifetime
{
    private PhaseHarness _apps = null!;

    public async Task InitializeAsync() => _apps = await PhaseHarness.StartAsync();

    public async Task DisposeAsync() => await _apps.DisposeAsync();

    [Fact]
    public async Task Rehearsal_goes_to_the_source_backend_with_the_host_and_client_address_and_a_cutover_without_one_is_switched()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section());

        var (status, body, _) = await GetAsync(bridge);
        var (plainStatus, plainBody, _) = await GetAsync(bridge, "plain.example.test");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"source {ShopHost} 127.0.0.1", body);
        Assert.Equal(HttpStatusCode.OK, plainStatus);
        Assert.StartsWith("target plain.example.test", plainBody, StringComparison.Ordinal);
        Assert.Equal("rehearsal", await PhaseAsync(bridge));
        Assert.Equal("switched", await PhaseAsync(bridge, "plain"));
        Assert.Equal(1, await MetricAsync(bridge, "dnsbridge_cutover_phase", ("cutover", "shop"), ("phase", "rehearsal")));
        Assert.Equal(0, await MetricAsync(bridge, "dnsbridge_cutover_phase", ("cutover", "shop"), ("phase", "switched")));
        Assert.Equal(1, await MetricAsync(bridge, "dnsbridge_cutover_phase", ("cutover", "plain"), ("phase", "switched")));
    }

    [Fact]
    public async Task Frozen_holds_every_request_and_the_switch_releases_all_of_them_to_the_target()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section());
        Assert.Equal(0, (await CliAsync(bridge, "freeze", "shop")).Exit);
        var sourceBefore = _apps.SourceHits;

        const int Count = 64;
        var requests = Enumerable.Range(0, Count).Select(_ => GetAsync(bridge)).ToList();
        await WaitForAsync(() => Cell(bridge).Held == Count, $"{Count} requests held");

        // Held: not one reached either side.
        Assert.Equal(sourceBefore, _apps.SourceHits);
        Assert.Equal(0, _apps.TargetHits);

        var (exit, output, _) = await CliAsync(bridge, "switch", "shop");
        var answers = await Task.WhenAll(requests);

        Assert.Equal(0, exit);
        Assert.Contains("phase changed from frozen to switched by cli", output, StringComparison.Ordinal);
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, $"target {ShopHost} 127.0.0.1"), (a.Status, a.Body)));
        Assert.Equal(Count, _apps.TargetHits);
        Assert.Equal(sourceBefore, _apps.SourceHits);
        Assert.Equal(0, Cell(bridge).Held);
        Assert.Equal(Count, await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "shop"), ("outcome", "released")));
        Assert.Equal("switched", await PhaseAsync(bridge));
        Assert.Equal(1, await MetricAsync(bridge, "dnsbridge_cutover_phase", ("cutover", "shop"), ("phase", "switched")));

        // Switched: today's path.
        Assert.StartsWith("target", (await GetAsync(bridge)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_held_longer_than_Hold_gets_503_with_Retry_After_and_beyond_MaxHeld_at_once()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section(hold: "00:00:02", maxHeld: 2));
        Assert.Equal(HttpStatusCode.OK, (await PostPhaseAsync(bridge, "shop", """{"phase":"frozen"}""")).Status);

        var held = new[] { GetAsync(bridge), GetAsync(bridge) };
        await WaitForAsync(() => Cell(bridge).Held == 2, "2 requests held");

        var started = System.Diagnostics.Stopwatch.StartNew();
        var (status, _, response) = await GetAsync(bridge);
        var atOnce = started.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.True(atOnce < TimeSpan.FromSeconds(1.5), $"beyond MaxHeld answered after {atOnce}");
        Assert.Equal("2", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var expired = await Task.WhenAll(held);
        Assert.All(expired, a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status));
        Assert.All(expired, a => Assert.NotNull(a.Response.Headers.RetryAfter));
        Assert.Equal(0, _apps.TargetHits);
        Assert.Equal(3, await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "shop"), ("outcome", "rejected")));
    }

    [Fact]
    public async Task Rehearse_releases_held_requests_to_the_source_and_rollback_sends_everything_back_to_it()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section());
        Assert.Equal(0, (await CliAsync(bridge, "freeze", "shop")).Exit);
        var held = Enumerable.Range(0, 8).Select(_ => GetAsync(bridge)).ToList();
        await WaitForAsync(() => Cell(bridge).Held == 8, "8 requests held");

        Assert.Equal(0, (await CliAsync(bridge, "rehearse", "shop")).Exit);
        Assert.All(await Task.WhenAll(held), a => Assert.StartsWith("source", a.Body, StringComparison.Ordinal));

        Assert.Equal(0, (await CliAsync(bridge, "switch", "shop")).Exit);
        Assert.StartsWith("target", (await GetAsync(bridge)).Body, StringComparison.Ordinal);

        var (exit, output, _) = await CliAsync(bridge, "rollback", "shop");
        Assert.Equal(0, exit);
        Assert.Contains("phase changed from switched to rolled_back by cli", output, StringComparison.Ordinal);
        Assert.StartsWith("source", (await GetAsync(bridge)).Body, StringComparison.Ordinal);
        Assert.Equal("rolled_back", await PhaseAsync(bridge));
    }

    [Fact]
    public async Task Bad_requests_are_clear_errors_with_the_right_status_and_exit_code()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section());

        var unknownPhase = await PostPhaseAsync(bridge, "shop", """{"phase":"paused"}""");
        var noSource = await PostPhaseAsync(bridge, "plain", """{"phase":"frozen"}""");
        var unknownCutover = await PostPhaseAsync(bridge, "nope", """{"phase":"frozen"}""");
        var notAllowed = await PostPhaseAsync(bridge, "shop", """{"phase":"rolled_back"}""");
        var wrongToken = await PostPhaseAsync(bridge, "shop", """{"phase":"frozen"}""", token: "wrong");
        var noToken = await PostPhaseAsync(bridge, "shop", """{"phase":"frozen"}""", token: null);

        Assert.Equal(HttpStatusCode.BadRequest, unknownPhase.Status);
        Assert.Contains("unknown phase 'paused': one of rehearsal, frozen, switched, rolled_back", unknownPhase.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noSource.Status);
        Assert.Contains("plain has no SourceBackend", noSource.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownCutover.Status);
        Assert.Equal(HttpStatusCode.Conflict, notAllowed.Status);
        Assert.Contains("shop is rehearsal: rolled_back can only follow switched or frozen", notAllowed.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.Status);
        Assert.Equal("rehearsal", await PhaseAsync(bridge));

        Assert.Equal(2, (await CliAsync(bridge, "freeze", "nope")).Exit);
        Assert.Equal(2, (await CliAsync(bridge, "freeze", "plain")).Exit);
        var refused = await CliAsync(bridge, "rollback", "shop");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("409", refused.Err, StringComparison.Ordinal);
        Assert.Equal(1, (await CliAsync(bridge, "freeze", "shop", token: "wrong")).Exit);
        Assert.Equal(2, await DnsBridge.Cli.DnsBridgeCommand.RunAsync(["switch", "shop"], TextWriter.Null, TextWriter.Null, _ => null));
        Assert.Equal(0, _apps.TargetHits);
    }

    [Fact]
    public async Task Without_an_admin_token_configured_a_phase_change_is_refused_with_403()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section(token: null));

        var (status, body) = await PostPhaseAsync(bridge, "shop", """{"phase":"frozen"}""", token: null);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("require Listen:AdminToken, and none is configured", body, StringComparison.Ordinal);
        Assert.StartsWith("source", (await GetAsync(bridge)).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readiness_gate_refuses_a_switch_naming_what_fails_and_force_overrides_it_on_record()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section(require: new JsonObject { ["MinMirrored"] = 100, ["MinStatusMatch"] = 0.99 }));

        var refused = await CliAsync(bridge, "switch", "shop");
        var api = await PostPhaseAsync(bridge, "shop", """{"phase":"switched"}""");

        Assert.Equal(1, refused.Exit);
        Assert.Contains("switch refused, the target is not ready (Switch.Require): 0 requests mirrored, Switch.Require.MinMirrored is 100", refused.Err, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, api.Status);
        Assert.Contains("Switch.Require.MinStatusMatch is 0.99", api.Body, StringComparison.Ordinal);
        Assert.Equal("rehearsal", await PhaseAsync(bridge));

        var forced = await CliAsync(bridge, "switch", "shop", force: true);

        Assert.Equal(0, forced.Exit);
        Assert.Equal("switched", await PhaseAsync(bridge));
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        var events = JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop"))!["events"]!.AsArray();
        var changed = Assert.Single(events, e => e!["event"]!.GetValue<string>() == "phase_changed");
        Assert.Equal("shop: phase changed from rehearsal to switched by cli (forced past the readiness gate): requests go to the target " +
            $"{_apps.Target.Address}:{_apps.Target.Port}", changed!["text"]!.GetValue<string>());
        Assert.Equal("""{"from":"rehearsal","to":"switched","by":"cli","forced":true}""", changed["fields"]!.ToJsonString());

        // The report's timeline carries it too.
        var report = await admin.GetStringAsync("/api/cutovers/shop/report");
        Assert.Contains("| phase_changed | shop: phase changed from rehearsal to switched by cli (forced past the readiness gate)", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_checks_the_source_backend_and_says_what_the_gate_would_answer()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section(require: new JsonObject { ["MinMirrored"] = 100 }));
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);

        var rows = JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop/preflight"))!["results"]!.AsArray()
            .Select(r => (Area: r!["area"]!.GetValue<string>(), Check: r["check"]!.GetValue<string>(), Subject: r["subject"]?.GetValue<string>(), Status: r["status"]!.GetValue<string>(),
                Found: r["found"]!.GetValue<string>()))
            .ToList();

        Assert.Contains(rows, r => r is { Area: "source backend", Check: "tcp connect", Status: "PASS" } && r.Subject == _apps.Source.EndPoint.ToString());
        Assert.Contains(rows, r => r is { Area: "source backend", Status: "PASS" } && r.Check.Contains("health", StringComparison.Ordinal));
        var gate = Assert.Single(rows, r => r is { Area: "switch", Check: "readiness gate" });
        Assert.Equal("WARN", gate.Status);
        Assert.Equal("switch would be refused now: 0 requests mirrored, Switch.Require.MinMirrored is 100", gate.Found);
    }

    [Fact]
    public async Task Every_phase_change_is_delivered_to_the_webhook_exactly_once_with_a_readable_text()
    {
        await using var bridge = await BridgeHost.StartAsync(_apps.Section());

        Assert.Equal(HttpStatusCode.OK, (await PostPhaseAsync(bridge, "shop", """{"phase":"frozen"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostPhaseAsync(bridge, "shop", """{"phase":"switched"}""")).Status);
        await WaitForAsync(() => _apps.Deliveries.Count(d => d.Event == "phase_changed") >= 2, "two phase_changed deliveries");

        // Delivered: nothing pending any more, so nothing will be sent again.
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        await WaitForAsync(() => JsonNode.Parse(admin.GetStringAsync("/api/cutovers/shop").GetAwaiter().GetResult())!["pendingAlerts"]!.AsArray().Count == 0, "no pending alert");
        var deliveries = _apps.Deliveries.Where(d => d.Event == "phase_changed").ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.Equal(2, deliveries.Select(d => d.Key).Distinct().Count());
        // Each event's delivery is independent of the other's: order them by what they say.
        var texts = deliveries.Select(d => JsonNode.Parse(d.Body)!["text"]!.GetValue<string>()).OrderByDescending(t => t.Contains("from rehearsal", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("shop: phase changed from rehearsal to frozen by api: requests are held up to 00:00:20", texts[0], StringComparison.Ordinal);
        Assert.StartsWith("shop: phase changed from frozen to switched by api: requests go to the target", texts[1], StringComparison.Ordinal);
        Assert.Equal("shop", JsonNode.Parse(deliveries[0].Body)!["cutover"]!.GetValue<string>());

        // DESIGN.md's fields of phase_changed, as fields of the body (beside the contract's event, cutover, at, id, text).
        var bodies = deliveries.Select(d => JsonNode.Parse(d.Body)!.AsObject()).OrderBy(b => b["to"]!.GetValue<string>() == "switched").ToList();
        Assert.Equal(("rehearsal", "frozen", "api", false), Fields(bodies[0]));
        Assert.Equal(("frozen", "switched", "api", false), Fields(bodies[1]));
        Assert.All(bodies, b => Assert.All(new[] { "event", "cutover", "at", "id", "text" }, k => Assert.True(b.ContainsKey(k), k)));

        // Stored with the event: the API shows them too.
        var shown = JsonNode.Parse(await admin.GetStringAsync("/api/cutovers/shop"))!["events"]!.AsArray()
            .Where(e => e!["event"]!.GetValue<string>() == "phase_changed").Select(e => Fields(e!["fields"]!.AsObject())).ToList();
        Assert.Equal([("rehearsal", "frozen", "api", false), ("frozen", "switched", "api", false)], shown);

        static (string From, string To, string By, bool Forced) Fields(JsonObject o) =>
            (o["from"]!.GetValue<string>(), o["to"]!.GetValue<string>(), o["by"]!.GetValue<string>(), o["forced"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_phase_survives_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-phase-restart").FullName;
        try
        {
            var state = Path.Combine(directory, "state.db");
            await using (var first = await BridgeHost.StartAsync(_apps.Section(statePath: state)))
            {
                Assert.Equal(0, (await CliAsync(first, "freeze", "shop")).Exit);
                Assert.Equal(0, (await CliAsync(first, "switch", "shop")).Exit);
                Assert.Equal(0, (await CliAsync(first, "rollback", "shop")).Exit);
            }

            await using var second = await BridgeHost.StartAsync(_apps.Section(statePath: state));

            Assert.Equal("rolled_back", await PhaseAsync(second));
            Assert.StartsWith("source", (await GetAsync(second)).Body, StringComparison.Ordinal);
            Assert.Equal(0, (await CliAsync(second, "switch", "shop")).Exit);
            Assert.StartsWith("target", (await GetAsync(second)).Body, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
