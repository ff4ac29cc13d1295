using System.Collections.Concurrent;
using System.Net;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using DnsBridge.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.FunctionalTests.Drain;

/// <summary>
/// The moment a drain event is raised, the state store cannot be written (another process holds its write lock, as a
/// backup would): the transition waits, and once the store is back the event is stored and delivered exactly once.
/// A transition applied in memory while its event was lost would leave the cutover drained with no drain_complete.
/// </summary>
public sealed class DrainEventStoreFailureTests : IAsyncLifetime
{
    private const string Host = "shop.example.test";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<(string Key, string Body)> _deliveries = new();
    private readonly string _state = Path.Combine(Directory.CreateTempSubdirectory("dnsbridge-drain-store").FullName, "state.db");
    private TestUpstream _target = null!;
    private TestUpstream _receiver = null!;
    private BridgeHost _bridge = null!;

    public async Task InitializeAsync()
    {
        _target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        _receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", async (HttpContext c) =>
        {
            _deliveries.Enqueue((c.Request.Headers["Idempotency-Key"].ToString(), await new StreamReader(c.Request.Body).ReadToEndAsync()));
            return Results.Ok();
        }));
        _bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[]
            {
                new
                {
                    Name = "shop",
                    Hosts = new[] { Host },
                    Target = new { _target.Address, _target.Port, Scheme = "http" },
                    Drain = new { QuietPeriod = "00:10:00", Threshold = 0 },
                },
            },
            Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{_receiver.Port}/hook" } } },
            State = new { Path = _state },
        }, s => s.AddSingleton<TimeProvider>(_time));
    }

    public async Task DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _receiver.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_state)!, recursive: true);
    }

    private DrainDetector Detector => _bridge.Services.GetRequiredService<DrainDetector>();

    private DrainState State => Detector.Status("shop")!.State;

    private string[] Events() => [.. _bridge.Services.GetRequiredService<IEventStore>().Events("shop").Select(e => e.Event)];

    private void Advance(int seconds) => _time.AdvanceTicking(Detector, seconds);

    private void Feed(ResolverAnswer answer)
    {
        var now = _time.GetUtcNow();
        ResolverResult R(string name, bool authoritative) =>
            new(new ResolverInfo(name, new IPEndPoint(IPAddress.Loopback, 53), "Europe", "op", authoritative), answer, [], [], 60, null, null, now, TimeSpan.Zero);
        Detector.OnSnapshot(PropagationPoller.Summarize("shop", now, [R("r0", false), R("r1", false), R("ns", true)]));
    }

    [Fact]
    public async Task Drain_complete_raised_while_the_store_is_locked_is_stored_and_delivered_once_the_store_is_back()
    {
        Feed(ResolverAnswer.Target);
        Assert.Equal(DrainState.Draining, State);
        using (var client = LoopbackClient.Create(_bridge.ProxyEndPoint))
        {
            Assert.Equal("ok", await client.GetStringAsync($"http://{Host}/"));
        }

        for (var i = 0; i < 130 && State != DrainState.Quiet; i++)
        {
            Advance(1);
        }

        Assert.Equal(DrainState.Quiet, State);
        Advance(599);
        Assert.Equal(DrainState.Quiet, State);

        using (var blocker = new SqliteConnection($"Data Source={_state};Pooling=False"))
        {
            blocker.Open();
            using (var begin = blocker.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                begin.ExecuteNonQuery();
            }

            // The quiet period ends while nothing can be written (each attempt waits out the 2 s lock timeout).
            Advance(3);
            Assert.Equal(DrainState.Quiet, State);
            Assert.DoesNotContain(EventNames.DrainComplete, Events());
            Assert.NotNull(_bridge.Services.GetRequiredService<IStateDatabase>().Problem());

            using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        Advance(1);
        Assert.Equal(DrainState.Drained, State);
        Assert.Single(Events(), e => e == EventNames.DrainComplete);

        // Let the dispatcher run (its loop waits on the fake clock) until the alert arrived, then well beyond.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!_deliveries.Any(d => d.Body.Contains("\"drain_complete\"", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            Advance(1);
            await Task.Delay(20);
        }

        for (var i = 0; i < 30; i++)
        {
            Advance(1);
            await Task.Delay(10);
        }

        var drained = _deliveries.Where(d => d.Body.Contains("\"drain_complete\"", StringComparison.Ordinal)).ToList();
        Assert.Single(drained);
        Assert.Single(Events(), e => e == EventNames.DrainComplete);
        Assert.Equal(Assert.Single(_bridge.Services.GetRequiredService<IEventStore>().Events("shop"), e => e.Event == EventNames.DrainComplete).Id, drained[0].Key);
    }
}
