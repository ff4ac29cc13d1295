using System.Net;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;

namespace DnsBridge.FunctionalTests.Hosting;

/// <summary>
/// An exception nobody expected in each background loop (here: thrown by the store, as a bug or a driver surprise
/// would): the loop logs it, counts it in <c>dnsbridge_background_failures_total{job}</c> and goes on; the process
/// keeps forwarding, and once the fault is gone every loop does its work again.
/// </summary>
public sealed class BackgroundFailureTests
{
    private const string Host = "shop.example.test";

    [Fact]
    public async Task An_unexpected_exception_in_every_background_loop_is_counted_and_retried_and_never_stops_the_process()
    {
        await using var target = await TestUpstream.StartAsync(app => app.Map("/{**p}", () => "ok"));
        await using var receiver = await TestUpstream.StartAsync(app => app.MapPost("/hook", () => Results.Ok()));
        await using var resolver = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [Host] = [target.Address] }, ttl: 1);
        var fault = new Fault();
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = new[] { new { Name = "shop", Hosts = new[] { Host }, Target = new { target.Address, target.Port, Scheme = "http" }, SourceAddresses = new[] { "198.51.100.7" } } },
            Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "local", resolver.Address, Region = "loopback" } } },
            Propagation = new { Enabled = true, Interval = "00:00:01", Timeout = "00:00:00.500" },
            Alerts = new { Webhooks = new[] { new { Url = $"http://127.0.0.1:{receiver.Port}/hook" } } },
        }, services => services.AddSingleton(fault).Decorate());

        // Every loop has met the fault at least twice (so it was retried), and the proxy forwards all along.
        using var client = LoopbackClient.Create(bridge.ProxyEndPoint);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://{Host}/p"))).StatusCode);
        }

        string[] jobs = ["monitor", "drain", "outbox", "residual_flush", "membership"];
        await WaitAsync(() => jobs.All(j => Failures(bridge, j) >= 2), () => string.Join(", ", jobs.Select(j => $"{j}={Failures(bridge, j)}")));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://{Host}/p"))).StatusCode);
        Assert.Contains(bridge.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Background job", StringComparison.Ordinal) && e.Exception is InvalidOperationException);

        // The fault is gone: the drain detector sees the DNS switch and the outbox delivers its event.
        fault.On = false;
        await WaitAsync(() => bridge.Services.GetRequiredService<IEventStore>().Events("shop").Any(e => e.Event == EventNames.DnsSwitched)
            && bridge.Services.GetRequiredService<IEventStore>().Outbox(bridge.Services.GetRequiredService<IEventStore>().Events("shop")[0].Id).All(r => r.DeliveredAt is not null),
            () => string.Join(", ", bridge.Services.GetRequiredService<IEventStore>().Events("shop").Select(e => e.Event)));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://{Host}/p"))).StatusCode);
    }

    private static double Failures(BridgeHost bridge, string job) => bridge.Metric("dnsbridge_background_failures_total", ("job", job));

    private static async Task WaitAsync(Func<bool> condition, Func<string> seen)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 60 s; last seen: {seen()}");
            await Task.Delay(100);
        }
    }

    /// <summary>While <see cref="On"/>, the decorated stores throw what no store is documented to throw.</summary>
    internal sealed class Fault
    {
        public volatile bool On = true;

        public void Throw()
        {
            if (On)
            {
                throw new InvalidOperationException("injected fault");
            }
        }
    }
}

internal static class FaultyStores
{
    /// <summary>Wraps the stores each loop uses so that they throw while the <see cref="BackgroundFailureTests.Fault"/> is on.</summary>
    public static IServiceCollection Decorate(this IServiceCollection services)
    {
        services.AddSingleton<ICutoverStatusStore>(sp => new FaultyStatuses(sp.GetRequiredService<StateStores>().Statuses, sp.GetRequiredService<BackgroundFailureTests.Fault>()));
        services.AddSingleton<IEventStore>(sp => new FaultyEvents(sp.GetRequiredService<StateStores>().Events, sp.GetRequiredService<BackgroundFailureTests.Fault>()));
        services.AddSingleton<IResidualHistory>(sp => new FaultyHistory(sp.GetRequiredService<StateStores>().ResidualHistory, sp.GetRequiredService<BackgroundFailureTests.Fault>()));
        services.AddSingleton<IClusterStore>(sp => new FaultyCluster(sp.GetRequiredService<StateStores>().Cluster, sp.GetRequiredService<BackgroundFailureTests.Fault>()));
        return services;
    }

    private sealed class FaultyStatuses(ICutoverStatusStore inner, BackgroundFailureTests.Fault fault) : ICutoverStatusStore
    {
        // Loading at start (the detector's first view) works; the loops' later reads and writes meet the fault.
        private int _loads;

        public IReadOnlyDictionary<string, DrainStatus> Load()
        {
            if (Interlocked.Increment(ref _loads) > 1)
            {
                fault.Throw();
            }

            return inner.Load();
        }

        public bool Save(string cutover, DrainStatus status, DateTimeOffset now)
        {
            fault.Throw();
            return inner.Save(cutover, status, now);
        }
    }

    private sealed class FaultyEvents(IEventStore inner, BackgroundFailureTests.Fault fault) : IEventStore
    {
        public bool Append(CutoverEvent e, DrainStatus? status, IEnumerable<string> receivers, DateTimeOffset now)
        {
            fault.Throw();
            return inner.Append(e, status, receivers, now);
        }

        public bool AppendTest(CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now) => inner.AppendTest(e, receivers, now);

        public IReadOnlyList<CutoverEvent> Events(string? cutover, int limit = 200) => inner.Events(cutover, limit);

        public IReadOnlyList<OutboxRow> Outbox(string eventId) => inner.Outbox(eventId);

        public IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50) => inner.DueDeliveries(now, limit);

        public IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, string claimant, DateTimeOffset leaseUntil, int limit = 50)
        {
            fault.Throw();
            return inner.ClaimDue(now, claimant, leaseUntil, limit);
        }

        public bool MarkDelivered(string eventId, string receiver, DateTimeOffset at) => inner.MarkDelivered(eventId, receiver, at);

        public bool MarkRetry(string eventId, string receiver, DateTimeOffset next, string error) => inner.MarkRetry(eventId, receiver, next, error);

        public bool MarkFailed(string eventId, string receiver, DateTimeOffset at, string error) => inner.MarkFailed(eventId, receiver, at, error);

        public bool GiveUp(string eventId, string receiver, DateTimeOffset at) => inner.GiveUp(eventId, receiver, at);

        public IReadOnlyList<PendingAlert> PendingAlerts(string cutover) => inner.PendingAlerts(cutover);

        public OutboxBacklog Backlog() => inner.Backlog();
    }

    private sealed class FaultyHistory(IResidualHistory inner, BackgroundFailureTests.Fault fault) : IResidualHistory
    {
        public bool Add(IEnumerable<ResidualMinute> minutes)
        {
            fault.Throw();
            return inner.Add(minutes);
        }

        public IReadOnlyList<ResidualMinute> Minutes(string cutover) => inner.Minutes(cutover);
    }

    private sealed class FaultyCluster(IClusterStore inner, BackgroundFailureTests.Fault fault) : IClusterStore
    {
        public bool Heartbeat(string replica, string configHash, DateTimeOffset now)
        {
            fault.Throw();
            return inner.Heartbeat(replica, configHash, now);
        }

        public IReadOnlyList<ReplicaRecord> Replicas() => inner.Replicas();

        public bool RecordLeader(string replica, DateTimeOffset now) => inner.RecordLeader(replica, now);

        public LeaderRecord? Leader() => inner.Leader();

        public bool SaveResidual(string replica, IReadOnlyList<ReplicaResidual> totals, DateTimeOffset now) => inner.SaveResidual(replica, totals, now);

        public IReadOnlyList<ReplicaResidual> Residual() => inner.Residual();

        public bool SaveMirror(string replica, IReadOnlyList<StoredMirror> rows, DateTimeOffset now) => inner.SaveMirror(replica, rows, now);

        public IReadOnlyList<StoredMirror> Mirrors() => inner.Mirrors();

        public bool SaveSnapshot(string cutover, string document, DateTimeOffset at) => inner.SaveSnapshot(cutover, document, at);

        public IReadOnlyList<StoredSnapshot> Snapshots() => inner.Snapshots();

        public DateTimeOffset? DatabaseNow() => inner.DatabaseNow();
    }
}
