using System.Collections.Concurrent;
using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Forwarding;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Mirror;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace DnsBridge.FunctionalTests.Mirror;

/// <summary>
/// The mirror engine against two real HTTP servers on loopback that answer differently on purpose: one path fails at
/// the target, one JSON field differs, one field is random per answer on both sides. The source's answer is taken as
/// the proxy would have forwarded it; the copies go through the target handler forwarding uses.
/// </summary>
public sealed class MirrorEngineTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private readonly ConcurrentQueue<(string Host, string Mirror, string Path)> _atTarget = new();
    private readonly TaskCompletionSource _slowTarget = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestUpstream _source = null!;
    private TestUpstream _target = null!;
    private HttpMessageInvoker _targetInvoker = null!;
    private HttpMessageInvoker _sourceInvoker = null!;

    public async Task InitializeAsync()
    {
        _source = await TestUpstream.StartAsync(app =>
        {
            app.MapGet("/orders/{id}", (int id) => Results.Json(new { id, price = 10, nonce = Guid.NewGuid() }));
            app.MapGet("/users/{id}", (int id) => Results.Json(new { id, name = "ann", nonce = Guid.NewGuid() }));
            app.MapGet("/health", () => Results.Text("ok"));
            app.MapGet("/slow", () => Results.Text("fast at the source"));
        });
        _target = await TestUpstream.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                _atTarget.Enqueue((context.Request.Host.Value ?? "", context.Request.Headers[MirrorEngine.MirrorHeader].ToString(), context.Request.Path.Value ?? ""));
                await next(context);
            });
            app.MapGet("/orders/{id}", (int id) => Results.Json(new { id, price = 12, nonce = Guid.NewGuid() }));
            app.MapGet("/users/{id}", (int id) => Results.Json(new { nonce = Guid.NewGuid(), name = "ann", id }));
            app.MapGet("/health", () => Results.Text("down", statusCode: 500));
            app.MapGet("/slow", async () =>
            {
                await _slowTarget.Task;
                return Results.Text("fast at the source");
            });
        });
        _targetInvoker = new HttpMessageInvoker(TargetHandlerFactory.Create(new TargetConfig { Address = _target.Address, Port = _target.Port, Scheme = "http" }));
        _sourceInvoker = new HttpMessageInvoker(TargetHandlerFactory.Create(new TargetConfig { Address = _source.Address, Port = _source.Port, Scheme = "http" }));
    }

    public async Task DisposeAsync()
    {
        _slowTarget.TrySetResult();
        _targetInvoker.Dispose();
        _sourceInvoker.Dispose();
        await _target.DisposeAsync();
        await _source.DisposeAsync();
    }

    private static MirrorEngine Engine(MirrorConfig config) =>
        new("shop", config, new MirrorMetrics(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())).For("shop"),
            new SpareCapacity(TimeProvider.System, NullLogger<SpareCapacity>.Instance), TimeProvider.System, NullLogger.Instance);

    private MirrorEndpoints Endpoints => new(
        _targetInvoker, $"http://{Host}:{_target.Port}", HttpVersion.Version11, HttpVersionPolicy.RequestVersionOrLower, TimeSpan.FromSeconds(30),
        _sourceInvoker, $"http://{Host}:{_source.Port}");

    /// <summary>What the proxy captures: the client's request and the source's answer.</summary>
    private async Task<MirroredExchange> FromSourceAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{Host}:{_source.Port}{path}");
        request.Headers.Host = Host;
        request.Headers.TryAddWithoutValidation("Cookie", "session=secret");
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var response = await _sourceInvoker.SendAsync(request, CancellationToken.None);
        var body = await response.Content.ReadAsByteArrayAsync();
        var answer = new MirrorAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), null, body, true);
        return new MirroredExchange("GET", Host, path, null, path, [new("Accept", ["application/json"]), new("Cookie", ["session=secret"])], null, answer,
            System.Diagnostics.Stopwatch.GetElapsedTime(start));
    }

    private static async Task SettleAsync(MirrorEngine engine, long copies)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((engine.InFlight > 0 || engine.Results.Snapshot("shop").Copies < copies) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, engine.InFlight);
    }

    [Fact]
    public async Task The_report_names_exactly_the_real_differences_and_not_the_random_field()
    {
        var engine = Engine(new MirrorConfig { Share = 1, NoiseShare = 1 });
        var paths = Enumerable.Range(1, 10).SelectMany(i => new[] { $"/orders/{i}", $"/users/{i}", "/health" }).ToList();
        foreach (var path in paths)
        {
            engine.Dispatch(await FromSourceAsync(path), Endpoints);
        }

        await SettleAsync(engine, paths.Count);
        var report = engine.Results.Snapshot("shop");

        Assert.Equal(30, report.Copies);
        Assert.Equal(0, report.TargetErrors);
        Assert.Equal(0, report.Dropped);
        Assert.Equal(10, report.StatusMismatches);
        Assert.Equal(10, report.BodyMismatches);
        Assert.Equal(10, report.Matches);

        var orders = report.Groups.Single(g => g.Group == "/orders/{id}");
        Assert.Equal(["$.price"], orders.DifferingFields.Select(f => f.Field));
        Assert.Contains("$.nonce", orders.NoiseFields);
        Assert.Equal(10, orders.BodyMismatches);
        var sample = Assert.Single(orders.Samples.Select(s => s.Differences.Single()).DistinctBy(d => d.Field));
        Assert.Equal(("10", "12"), (sample.Source, sample.Target));
        Assert.All(orders.Samples, s => Assert.Equal("[redacted]", s.RequestHeaders.Single(h => h.Key == "Cookie").Value));

        var users = report.Groups.Single(g => g.Group == "/users/{id}");
        Assert.Empty(users.DifferingFields);
        Assert.Equal(10, users.BodyMatches);

        var health = report.Groups.Single(g => g.Group == "/health");
        var pair = Assert.Single(health.StatusMismatches);
        Assert.Equal((200, 500, 10L), (pair.Source, pair.Target, pair.Copies));
        Assert.Empty(health.DifferingFields);

        Assert.Equal(3, report.Groups.Count);
        Assert.Equal(30, _atTarget.Count);
        Assert.All(_atTarget, t => Assert.Equal((Host, "1"), (t.Host, t.Mirror)));
    }

    [Fact]
    public async Task Copies_beyond_MaxConcurrency_are_dropped_and_counted_never_queued()
    {
        var engine = Engine(new MirrorConfig { Share = 1, NoiseShare = 0, MaxConcurrency = 2, Amplify = 2 });
        var exchange = await FromSourceAsync("/slow");

        engine.Dispatch(exchange, Endpoints);
        engine.Dispatch(exchange, Endpoints);
        engine.Dispatch(exchange, Endpoints);

        Assert.Equal(2, engine.InFlight);
        Assert.Equal(4, engine.Results.Dropped);

        _slowTarget.SetResult();
        await SettleAsync(engine, 2);
        var report = engine.Results.Snapshot("shop");
        Assert.Equal(2, report.Copies);
        Assert.Equal(2, report.Matches);
        Assert.Equal(4, report.Dropped);
    }

    [Fact]
    public async Task A_target_that_does_not_answer_is_a_target_error()
    {
        var engine = Engine(new MirrorConfig { Share = 1, NoiseShare = 0 });
        var closed = new TargetConfig { Address = "127.0.0.1", Port = 1, Scheme = "http" };
        using var refused = new HttpMessageInvoker(TargetHandlerFactory.Create(closed));

        engine.Dispatch(await FromSourceAsync("/users/1"), Endpoints with { Target = refused, TargetPrefix = $"http://{Host}:1" });
        await SettleAsync(engine, 1);

        var report = engine.Results.Snapshot("shop");
        Assert.Equal(1, report.TargetErrors);
        Assert.Equal("target_error", Assert.Single(Assert.Single(report.Groups).Samples).Kind);
    }

    [Fact]
    public void Sampling_follows_share_and_methods()
    {
        Assert.False(Engine(new MirrorConfig()).Sample("GET"));
        var all = Engine(new MirrorConfig { Share = 1 });
        Assert.True(all.Sample("GET"));
        Assert.True(all.Sample("head"));
        Assert.False(all.Sample("POST"));
        Assert.True(Engine(new MirrorConfig { Share = 1, Methods = ["POST"] }).Sample("POST"));
    }
}
