using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DnsBridge.Cli;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Phases;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// A source app and a target app that answer differently on purpose ("source" / "target" in the body, with the Host
/// and X-Forwarded-For they saw), a webhook receiver, and helpers to drive and observe phases.
/// </summary>
internal sealed class PhaseHarness : IAsyncDisposable
{
    public const string Token = "phase-test-token-0123456789";
    public const string ShopHost = "shop.example.test";

    /// <summary>What DNS answers before the flip (the source site's address, never dialled).</summary>
    public const string SourceAddress = "198.51.100.7";

    private PhaseHarness(TestUpstream source, TestUpstream target, TestUpstream receiver)
    {
        Source = source;
        Target = target;
        Receiver = receiver;
    }

    public TestUpstream Source { get; }

    public TestUpstream Target { get; }

    public TestUpstream Receiver { get; }

    public int SourceHits => _sourceHits;

    public int TargetHits => _targetHits;

    /// <summary>Webhook deliveries: (event, Idempotency-Key, body).</summary>
    public ConcurrentQueue<(string Event, string Key, string Body)> Deliveries { get; } = new();

    private int _sourceHits;
    private int _targetHits;

    public static async Task<PhaseHarness> StartAsync()
    {
        PhaseHarness? self = null;
        var source = await TestUpstream.StartAsync(app => app.Map("/{**path}", (HttpContext c) =>
        {
            Interlocked.Increment(ref self!._sourceHits);
            return Results.Text($"source {c.Request.Host.Value} {c.Request.Headers["X-Forwarded-For"]}");
        }));
        var target = await TestUpstream.StartAsync(app => app.Map("/{**path}", (HttpContext c) =>
        {
            Interlocked.Increment(ref self!._targetHits);
            return Results.Text($"target {c.Request.Host.Value} {c.Request.Headers["X-Forwarded-For"]}");
        }));
        var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", async (HttpContext c) =>
        {
            var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
            var e = JsonNode.Parse(body)?["event"]?.GetValue<string>() ?? "";
            self!.Deliveries.Enqueue((e, c.Request.Headers["Idempotency-Key"].ToString(), body));
            return Results.Ok();
        }));
        self = new PhaseHarness(source, target, receiver);
        return self;
    }

    /// <summary>The DnsBridge section: one cutover with the source backend, and one without (<c>plain</c>).</summary>
    public JsonObject Section(string? token = Token, string hold = "00:00:20", int maxHeld = 1000, JsonObject? require = null, string? statePath = null, string auto = "none",
        JsonObject? state = null, string? resolver = null, string? replica = null)
    {
        var @switch = new JsonObject { ["Auto"] = auto };
        if (require is not null)
        {
            @switch["Require"] = require;
        }

        var section = new JsonObject
        {
            ["Listen"] = new JsonObject { ["Proxy"] = "http://127.0.0.1:0", ["Admin"] = "http://127.0.0.1:0" },
            ["Cutovers"] = new JsonArray(
                new JsonObject
                {
                    ["Name"] = "shop",
                    ["Hosts"] = new JsonArray(ShopHost),
                    [nameof(Target)] = new JsonObject { ["Address"] = Target.Address, ["Port"] = Target.Port, ["Scheme"] = "http" },
                    ["SourceBackend"] = new JsonObject { ["Address"] = Source.Address, ["Port"] = Source.Port, ["Scheme"] = "http" },
                    ["Freeze"] = new JsonObject { ["Hold"] = hold, ["MaxHeld"] = maxHeld },
                    ["Switch"] = @switch,
                },
                new JsonObject
                {
                    ["Name"] = "plain",
                    ["Hosts"] = new JsonArray("plain.example.test"),
                    [nameof(Target)] = new JsonObject { ["Address"] = Target.Address, ["Port"] = Target.Port, ["Scheme"] = "http" },
                }),
            ["Alerts"] = new JsonObject { ["Webhooks"] = new JsonArray(new JsonObject { ["Name"] = "ops", ["Url"] = $"http://127.0.0.1:{Receiver.Port}/hook" }) },
        };
        if (token is not null)
        {
            ((JsonObject)section["Listen"]!)["AdminToken"] = token;
        }

        if (statePath is not null)
        {
            section["State"] = new JsonObject { ["Path"] = statePath };
        }

        if (state is not null)
        {
            section["State"] = state;
        }

        if (replica is not null)
        {
            section["Cluster"] = new JsonObject { ["ReplicaName"] = replica };
        }

        // DNS watched through one resolver (a dnsmasq): answers the source until the test flips it to the target.
        if (resolver is not null)
        {
            var shop = (JsonObject)((JsonArray)section["Cutovers"]!)[0]!;
            shop["SourceAddresses"] = new JsonArray(SourceAddress);
            section["Resolvers"] = new JsonObject { ["Preset"] = "none", ["Authoritative"] = false, ["Custom"] = new JsonArray(new JsonObject { ["Name"] = "local", ["Address"] = resolver, ["Region"] = "loopback" }) };
            section["Propagation"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:01", ["Timeout"] = "00:00:00.500" };
        }

        return section;
    }

    /// <summary>GET through the proxy listener: the status and body.</summary>
    public static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(BridgeHost bridge, string host = ShopHost, TimeSpan? timeout = null)
    {
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint, timeout ?? TimeSpan.FromSeconds(60));
        var response = await client.GetAsync($"http://{host}/page");
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static async Task<(HttpStatusCode Status, string Body)> PostPhaseAsync(BridgeHost bridge, string cutover, string body, string? token = Token)
    {
        using var admin = bridge.CreateAdminClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/cutovers/{cutover}/phase") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await admin.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Runs a phase verb of the real CLI in-process against the bridge's admin listener.</summary>
    public static async Task<(int Exit, string Out, string Err)> CliAsync(BridgeHost bridge, string verb, string cutover, bool force = false, string? token = Token)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = ["" + verb, cutover, "--admin", bridge.AdminUri.ToString(), .. force ? new[] { "--force" } : []];
        var exit = await DnsBridgeCommand.RunAsync(args, stdout, stderr, name => name == AdminApi.TokenVariable ? token : null);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The phase the API shows for a cutover.</summary>
    public static async Task<string> PhaseAsync(BridgeHost bridge, string cutover = "shop")
    {
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var json = JsonNode.Parse(await admin.GetStringAsync($"/api/cutovers/{cutover}"))!;
        return json["phase"]!.GetValue<string>();
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not within {(within ?? TimeSpan.FromSeconds(20)).TotalSeconds} s: {what}");
            }
        }
    }

    /// <summary>One series from the real /metrics text (with the admin token).</summary>
    public static async Task<double> MetricAsync(BridgeHost bridge, string name, params (string Label, string Value)[] labels)
    {
        using var admin = bridge.CreateAdminClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return MetricsText.Value(await admin.GetStringAsync("/metrics"), name, labels);
    }

    public static PhaseCell Cell(BridgeHost bridge, string cutover = "shop") => bridge.Services.GetRequiredService<PhaseBoard>().For(cutover);

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        await Target.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
