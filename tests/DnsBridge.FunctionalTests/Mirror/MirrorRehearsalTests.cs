using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Mirror;

namespace DnsBridge.FunctionalTests.Mirror;

/// <summary>
/// Mirroring through the real proxy in <c>rehearsal</c>: a source app and a target app on loopback that answer
/// differently on purpose (one path 500 at the target, one JSON field different, one field random per answer on
/// both sides). The client's answer is the source's; the copies reach the target with the client's Host and
/// <c>X-DnsBridge-Mirror: 1</c>, and are neither residual traffic nor access-log lines.
/// </summary>
public sealed class MirrorRehearsalTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private const string QuietHost = "quiet.example.test";
    private readonly ConcurrentQueue<(string Method, string Host, string Mirror, string Path)> _atTarget = new();
    private readonly ConcurrentQueue<string> _postedAtTarget = new();
    private readonly TaskCompletionSource _copyArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseTarget = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestUpstream _source = null!;
    private TestUpstream _target = null!;

    public async Task InitializeAsync()
    {
        _source = await TestUpstream.StartAsync(app =>
        {
            app.MapGet("/orders/{id}", (int id) => Results.Json(new { id, price = 10, nonce = Guid.NewGuid() }));
            app.MapGet("/users/{id}", (int id) => Results.Json(new { id, name = "ann", nonce = Guid.NewGuid() }));
            app.MapGet("/health", () => Results.Text("ok"));
            app.MapGet("/slow", () => Results.Bytes(SlowBody, "application/octet-stream"));
            app.MapPost("/orders", () => Results.Text("created"));
        });
        _target = await TestUpstream.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                _atTarget.Enqueue((context.Request.Method, context.Request.Host.Value ?? "", context.Request.Headers[MirrorEngine.MirrorHeader].ToString(), context.Request.Path.Value ?? ""));
                await next(context);
            });
            app.MapGet("/orders/{id}", (int id) => Results.Json(new { id, price = 12, nonce = Guid.NewGuid() }));
            app.MapGet("/users/{id}", (int id) => Results.Json(new { nonce = Guid.NewGuid(), name = "ann", id }));
            app.MapGet("/health", () => Results.Text("down", statusCode: 500));
            app.MapGet("/slow", async () =>
            {
                _copyArrived.TrySetResult();
                await _releaseTarget.Task;
                return Results.Bytes(SlowBody, "application/octet-stream");
            });
            app.MapPost("/orders", async (HttpContext context) =>
            {
                _postedAtTarget.Enqueue(await new StreamReader(context.Request.Body).ReadToEndAsync());
                return Results.Text("created");
            });
        });
    }

    public async Task DisposeAsync()
    {
        _releaseTarget.TrySetResult();
        await _target.DisposeAsync();
        await _source.DisposeAsync();
    }

    private static readonly byte[] SlowBody = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7))];

    private JsonObject Section(JsonObject mirror) => new()
    {
        ["Cutovers"] = new JsonArray(
            Cutover("shop", Host, mirror),
            Cutover("quiet", QuietHost, new JsonObject { ["Share"] = 0 })),
    };

    private JsonObject Cutover(string name, string host, JsonObject mirror) => new()
    {
        ["Name"] = name,
        ["Hosts"] = new JsonArray(host),
        ["Target"] = new JsonObject { ["Address"] = _target.Address, ["Port"] = _target.Port, ["Scheme"] = "http" },
        ["SourceBackend"] = new JsonObject { ["Address"] = _source.Address, ["Port"] = _source.Port, ["Scheme"] = "http" },
        ["Mirror"] = mirror,
    };

    private static async Task<HttpResponseMessage> SendAsync(BridgeHost bridge, HttpMethod method, string path, string host = Host, string body = "{}")
    {
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint, TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(method, $"http://{host}{path}");
        request.Headers.TryAddWithoutValidation("Cookie", "session=secret");
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<JsonNode> ReadinessAsync(BridgeHost bridge, string cutover = "shop")
    {
        using var admin = bridge.CreateAdminClient();
        return JsonNode.Parse(await admin.GetStringAsync($"/api/cutovers/{cutover}/readiness"))!;
    }

    private static async Task WaitForCopiesAsync(BridgeHost bridge, long copies)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((await ReadinessAsync(bridge))["copies"]!.GetValue<long>() < copies)
        {
            await Task.Delay(25, timeout.Token);
        }
    }

    [Fact]
    public async Task The_readiness_report_names_exactly_the_real_differences_and_not_the_random_field()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 1 }));
        var paths = Enumerable.Range(1, 5).SelectMany(i => new[] { $"/orders/{i}", $"/users/{i}", "/health" }).ToList();
        foreach (var path in paths)
        {
            using var response = await SendAsync(bridge, HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await WaitForCopiesAsync(bridge, paths.Count);
        var report = await ReadinessAsync(bridge);
        var groups = report["groups"]!.AsArray().ToDictionary(g => g!["group"]!.GetValue<string>(), g => g!);

        Assert.Equal(["/health", "/orders/{id}", "/users/{id}"], groups.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["$.price"], groups["/orders/{id}"]["differingFields"]!.AsArray().Select(f => f!["field"]!.GetValue<string>()));
        Assert.Contains("$.nonce", groups["/orders/{id}"]["noiseFields"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Empty(groups["/users/{id}"]["differingFields"]!.AsArray());
        Assert.Equal(5, groups["/users/{id}"]["bodyMatches"]!.GetValue<long>());
        var pair = Assert.Single(groups["/health"]["statusMismatches"]!.AsArray())!;
        Assert.Equal((200, 500), (pair["source"]!.GetValue<int>(), pair["target"]!.GetValue<int>()));
        Assert.Equal(5, report["statusMismatches"]!.GetValue<long>());
        Assert.Equal(5, report["bodyMismatches"]!.GetValue<long>());
        Assert.Equal(5, report["matches"]!.GetValue<long>());
        Assert.DoesNotContain("session=secret", report.ToJsonString(), StringComparison.Ordinal);

        // Copies carry the client's Host and the mark; they are neither residual traffic nor access-log lines.
        Assert.Equal(paths.Count, _atTarget.Count);
        Assert.All(_atTarget, t => Assert.Equal((Host, "1"), (t.Host, t.Mirror)));
        Assert.Equal(paths.Count, bridge.Metric("dnsbridge_residual_requests_total", ("cutover", "shop")));
        int AccessLines() => bridge.Logs.Events.Count(e => e.MessageTemplate.Text.StartsWith("{Cutover} {Method}", StringComparison.Ordinal) && LogCapture.Property(e, "Cutover") == "shop");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (AccessLines() < paths.Count)
            {
                await Task.Delay(25, timeout.Token);
            }
        }

        Assert.Equal(paths.Count, AccessLines());
        Assert.Equal(5, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "match")));
        Assert.Equal(5, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "status_mismatch")));
        Assert.Equal(paths.Count, bridge.Metric("dnsbridge_mirror_duration_seconds_count", ("cutover", "shop"), ("side", "target")));

        using var admin = bridge.CreateAdminClient();
        var markdown = await admin.GetStringAsync("/api/cutovers/shop/report");
        Assert.Contains("## Target readiness", markdown, StringComparison.Ordinal);
        Assert.Contains("status 200 → 500", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_gets_the_source_answer_byte_for_byte_while_its_copy_still_waits_at_the_target()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0 }));
        var engine = bridge.Services.GetRequiredService<MirrorRegistry>().Find("shop")!;

        using var response = await SendAsync(bridge, HttpMethod.Get, "/slow");

        // The answer is complete and the source's, and the copy was sent after it: it waits at the target now.
        Assert.Equal(SlowBody, await response.Content.ReadAsByteArrayAsync());
        await _copyArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, engine.InFlight);
        Assert.Equal(0, engine.Results.Snapshot("shop").Copies);

        _releaseTarget.SetResult();
        await WaitForCopiesAsync(bridge, 1);
        Assert.Equal(1, (await ReadinessAsync(bridge))["matches"]!.GetValue<long>());
    }

    [Fact]
    public async Task Copies_beyond_MaxConcurrency_are_dropped_and_counted()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0, ["MaxConcurrency"] = 1 }));

        for (var i = 0; i < 3; i++)
        {
            using var response = await SendAsync(bridge, HttpMethod.Get, "/slow");
            Assert.Equal(SlowBody, await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(2, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "dropped")));
        _releaseTarget.SetResult();
        await WaitForCopiesAsync(bridge, 1);
        var report = await ReadinessAsync(bridge);
        Assert.Equal((1L, 2L), (report["copies"]!.GetValue<long>(), report["dropped"]!.GetValue<long>()));
    }

    [Fact]
    public async Task While_DnsBridge_is_busy_copies_wait_and_the_clients_do_not_and_the_copies_go_once_there_is_room_while_slots_last()
    {
        // The probe's finding is scripted (saturating this shared test process on purpose would slow every other test);
        // everything else is the real proxy, source and target.
        var busy = new SpareCapacity.Load(TimeSpan.FromMilliseconds(0.2), 0.97);
        var load = busy;
        var probes = 0;
        using var spare = new SpareCapacity(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, report =>
        {
            Interlocked.Increment(ref probes);
            report(load);
        });
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0, ["MaxConcurrency"] = 5 }), services => services.AddSingleton(spare));
        using (await SendAsync(bridge, HttpMethod.Get, "/users/1"))
        {
        }

        await WaitForCopiesAsync(bridge, 1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = Volatile.Read(ref probes);
        while (!spare.IsBusy || Volatile.Read(ref probes) < seen + 2)
        {
            await Task.Delay(SpareCapacity.ProbeEvery, timeout.Token);
        }

        for (var i = 0; i < 5; i++)
        {
            using var response = await SendAsync(bridge, HttpMethod.Get, $"/orders/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(10, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["price"]!.GetValue<int>());
        }

        // The five copies reach the gate (each from a background task), then five probes later, still busy, they
        // still wait and none reached the target.
        while (spare.Waiting < 5)
        {
            await Task.Delay(SpareCapacity.ProbeEvery, timeout.Token);
        }

        seen = Volatile.Read(ref probes);
        while (Volatile.Read(ref probes) < seen + 5)
        {
            await Task.Delay(SpareCapacity.ProbeEvery, timeout.Token);
        }

        Assert.Equal(5, spare.Waiting);
        Assert.Equal(1, _atTarget.Count(t => t.Mirror == "1"));
        Assert.Equal(0, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "dropped")));

        // MaxConcurrency (5) slots all hold waiting copies: a sixth is dropped, and the log says why (not the limit).
        using (await SendAsync(bridge, HttpMethod.Get, "/orders/9"))
        {
        }

        Assert.Equal(1, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "dropped")));
        Assert.Contains(bridge.Logs.Messages, m => m.Contains("mirror copy dropped", StringComparison.Ordinal) && m.Contains("busy", StringComparison.Ordinal));

        load = new SpareCapacity.Load(TimeSpan.FromMilliseconds(0.2), 0.3);
        await WaitForCopiesAsync(bridge, 6);
        Assert.Equal(6, _atTarget.Count(t => t.Mirror == "1"));
        Assert.Equal(1, (await ReadinessAsync(bridge))["dropped"]!.GetValue<long>());
    }

    [Fact]
    public async Task Share_0_copies_nothing_and_methods_not_listed_are_not_copied()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0 }));

        for (var i = 0; i < 5; i++)
        {
            using var quiet = await SendAsync(bridge, HttpMethod.Get, "/users/1", QuietHost);
            using var post = await SendAsync(bridge, HttpMethod.Post, "/orders");
            Assert.Equal("created", await post.Content.ReadAsStringAsync());
        }

        using (await SendAsync(bridge, HttpMethod.Get, "/users/2"))
        {
        }

        await WaitForCopiesAsync(bridge, 1);
        var copied = Assert.Single(_atTarget);
        Assert.Equal(("GET", "/users/2"), (copied.Method, copied.Path));
        Assert.Equal(0, (await ReadinessAsync(bridge, "quiet"))["copies"]!.GetValue<long>());
        Assert.Equal(0, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "quiet"), ("outcome", "match")));
    }

    [Fact]
    public async Task The_cutover_page_shows_target_readiness_per_path_group()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 1 }));
        foreach (var path in new[] { "/orders/1", "/orders/2", "/health", "/users/1" })
        {
            using var response = await SendAsync(bridge, HttpMethod.Get, path);
        }

        await WaitForCopiesAsync(bridge, 4);

        await using var browser = await Browser.LaunchAsync();
        var errors = new List<string>();
        var page = await browser.OpenAsync(new Uri(bridge.AdminUri, "/cutovers/shop"), errors);
        await Browser.WaitForAsync(page, "table.readiness");

        var table = await page.Locator("table.readiness").InnerTextAsync();
        Assert.Contains("/orders/{id}", table, StringComparison.Ordinal);
        Assert.Contains("$.price", table, StringComparison.Ordinal);
        Assert.Contains("status 200 → 500", table, StringComparison.Ordinal);
        Assert.DoesNotContain("$.nonce", table, StringComparison.Ordinal);
        Assert.Empty(errors);
        Assert.Empty(await Browser.SeriousAccessibilityViolationsAsync(page));
    }

    [Fact]
    public async Task A_listed_write_is_copied_with_its_body_and_one_beyond_MaxBodyBytes_is_dropped()
    {
        await using var bridge = await BridgeHost.StartAsync(Section(new JsonObject { ["Share"] = 1, ["NoiseShare"] = 0, ["Methods"] = new JsonArray("POST"), ["MaxBodyBytes"] = 64 }));

        using (var small = await SendAsync(bridge, HttpMethod.Post, "/orders", body: """{"item":42}"""))
        {
            Assert.Equal("created", await small.Content.ReadAsStringAsync());
        }

        await WaitForCopiesAsync(bridge, 1);
        using (var large = await SendAsync(bridge, HttpMethod.Post, "/orders", body: new string('x', 1000)))
        {
            Assert.Equal("created", await large.Content.ReadAsStringAsync());
        }

        // The drop is counted once the source's answer is out, which the client may see first.
        var engine = bridge.Services.GetRequiredService<MirrorRegistry>().Find("shop")!;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (engine.Results.Dropped < 1 || engine.InFlight > 0)
            {
                await Task.Delay(25, timeout.Token);
            }
        }

        Assert.Equal("""{"item":42}""", Assert.Single(_postedAtTarget));
        Assert.Equal(1, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "dropped")));
        Assert.Equal(1, bridge.Metric("dnsbridge_mirror_requests_total", ("cutover", "shop"), ("outcome", "match")));
        Assert.Equal(0, engine.InFlight);
    }
}
