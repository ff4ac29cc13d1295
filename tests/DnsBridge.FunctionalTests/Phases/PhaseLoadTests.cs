using System.Collections.Concurrent;
using System.Net;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using static DnsBridge.FunctionalTests.Phases.PhaseHarness;

namespace DnsBridge.FunctionalTests.Phases;

/// <summary>
/// "A switch under load loses nothing": 64 HTTP/1.1 keep-alive connections send requests back to back through DnsBridge
/// while the cutover goes rehearsal → frozen → (2 s later) switched → rolled_back → switched. No request fails, every
/// answer comes from the side its phase says, the held requests are released, and the counts add up.
/// <para>
/// Ordering is exact, not timed: one logical clock (an interlocked counter) stamps each request when it is about to
/// be sent and when its answer has been read, and each phase change when it is asked and when it is acknowledged.
/// Phase <c>i</c> can be in effect at DnsBridge only within [asked(i), acknowledged(i+1)]; a request can only have been
/// routed under a phase whose window overlaps its own [sent, received]. Where that leaves a single side (source or
/// target), the answer must come from it; a request straddling a change may come from either, but must still be a 200.
/// A frozen phase routes nowhere: a request whose whole life lies inside the freeze has no allowed side at all, so
/// an answer given during the freeze fails the test.
/// </para>
/// </summary>
public sealed class PhaseLoadTests
{
    private const int Connections = 64;

    /// <summary>Answers to wait for after each acknowledged change: at most one per connection straddles it.</summary>
    private const int AnswersPerPhase = Connections * 6;

    [Fact]
    public async Task A_switch_under_load_loses_nothing_and_every_answer_comes_from_the_side_of_its_phase()
    {
        await using var apps = await PhaseHarness.StartAsync();
        await using var bridge = await BridgeHost.StartAsync(apps.Section(hold: "00:00:30", maxHeld: 1000));
        await using var load = Load.Start(bridge);

        await load.WaitForAnswersAsync(AnswersPerPhase, "rehearsal");
        await load.ChangeAsync(bridge, CutoverPhase.Frozen);
        await WaitForAsync(() => Cell(bridge).Held == Connections, $"all {Connections} connections held");
        var heldAt = load.Mark();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the scenario: the switch comes 2 s after the freeze
        await load.ChangeAsync(bridge, CutoverPhase.Switched);
        await load.WaitForAnswersAsync(AnswersPerPhase, "switched");
        await load.ChangeAsync(bridge, CutoverPhase.RolledBack);
        await load.WaitForAnswersAsync(AnswersPerPhase, "rolled back");
        await load.ChangeAsync(bridge, CutoverPhase.Switched);
        await load.WaitForAnswersAsync(AnswersPerPhase, "switched again");

        await AssertNothingLostAsync(bridge, apps, await load.StopAsync(), heldAt);
    }

    [Fact]
    public async Task A_dns_switch_under_load_loses_nothing_and_every_answer_comes_from_the_side_of_its_phase()
    {
        await using var apps = await PhaseHarness.StartAsync();
        await using var dns = await Dnsmasq.StartAsync(new Dictionary<string, string[]> { [ShopHost] = [SourceAddress] }, ttl: 1);
        await using var bridge = await BridgeHost.StartAsync(apps.Section(hold: "00:00:30", maxHeld: 1000, auto: "dns", resolver: dns.Address));
        await using var load = Load.Start(bridge);

        await load.WaitForAnswersAsync(AnswersPerPhase, "rehearsal");
        await load.ChangeAsync(bridge, CutoverPhase.Frozen);
        await WaitForAsync(() => Cell(bridge).Held == Connections, $"all {Connections} connections held");
        var heldAt = load.Mark();
        await Task.Delay(TimeSpan.FromSeconds(2));

        // The switch is DNS's: asked when the record flips, acknowledged once the cell shows it (an upper bound).
        await load.ChangeByAsync(CutoverPhase.Switched, async () =>
        {
            await dns.SetAsync(ShopHost, apps.Target.Address);
            await WaitForAsync(() => Cell(bridge).Phase == CutoverPhase.Switched, "the automatic switch at the DNS flip", TimeSpan.FromSeconds(30));
        });
        await load.WaitForAnswersAsync(AnswersPerPhase, "switched by DNS");
        await load.ChangeAsync(bridge, CutoverPhase.RolledBack);
        await load.WaitForAnswersAsync(AnswersPerPhase, "rolled back");
        await load.ChangeAsync(bridge, CutoverPhase.Switched);
        await load.WaitForAnswersAsync(AnswersPerPhase, "switched again");

        var exchanges = await load.StopAsync();
        await AssertNothingLostAsync(bridge, apps, exchanges, heldAt);
        Assert.Equal("switched", await PhaseAsync(bridge));
    }

    private static async Task AssertNothingLostAsync(BridgeHost bridge, PhaseHarness apps, Load.Result run, long heldAt)
    {
        var (exchanges, changes) = (run.Exchanges, run.Changes);

        // Zero failed requests: no exception, no status other than 200, only the two known bodies.
        var failed = exchanges.Where(e => e.Side is null).Take(5).Select(e => e.Failure).ToList();
        Assert.True(failed.Count == 0, $"failed requests, e.g.: {string.Join(" | ", failed)}");

        // Every answer from a side its phase allows (exact, by the logical clock).
        var wrong = new List<string>();
        var determinate = new int[changes.Count + 1];
        foreach (var e in exchanges)
        {
            var allowed = AllowedSides(changes, e, out var phase);
            if (!allowed.Contains(e.Side!.Value))
            {
                wrong.Add($"sent@{e.Sent} received@{e.Received}: {e.Side} (allowed: {string.Join(",", allowed)})");
            }
            else if (phase is { } p)
            {
                determinate[p]++;
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} answers from the wrong side; changes: {string.Join(", ", changes)}; e.g. {string.Join(" | ", wrong.Take(5))}");

        // Not vacuous: every routing phase had answers that could only come from its side, and the freeze held some.
        for (var i = 0; i <= changes.Count; i++)
        {
            var to = i == 0 ? CutoverPhase.Rehearsal : changes[i - 1].To;
            if (to != CutoverPhase.Frozen)
            {
                Assert.True(determinate[i] > 0, $"no answer attributable to phase #{i} ({to})");
            }
        }

        // The requests held when all 64 were seen held (the one in flight on each connection at that tick: none can send
        // another before the switch) went to the target, whichever phase they were sent in.
        var held = exchanges.Where(e => e.Sent < heldAt && e.Received > heldAt).ToList();
        Assert.Equal(Connections, held.Select(e => e.Worker).Distinct().Count());
        Assert.Equal(Connections, held.Count);
        Assert.All(held, e => Assert.Equal(Side.Target, e.Side));

        // Held requests released, none rejected: all 64 connections were seen held at once, and with none rejected and
        // every request answered 200, every held request was released. At least every request sent after the freeze was
        // acknowledged and before the switch was asked was held; at most those sent between the freeze being asked
        // and the switch being acknowledged can have been.
        var freeze = changes[0];
        var @switch = changes[1];
        var surelyHeld = exchanges.Count(e => e.Sent > freeze.Acknowledged && e.Sent < @switch.Asked);
        var maybeHeld = exchanges.Count(e => e.Sent > freeze.Asked && e.Sent < @switch.Acknowledged);
        var released = await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "shop"), ("outcome", "released"));
        Assert.InRange(released, Math.Max(Connections, surelyHeld), maybeHeld);
        Assert.Equal(0, await MetricAsync(bridge, "dnsbridge_held_requests_total", ("cutover", "shop"), ("outcome", "rejected")));
        Assert.Equal(0, Cell(bridge).Held);

        // The counts add up: every request reached exactly one side exactly once.
        var fromSource = exchanges.Count(e => e.Side == Side.Source);
        var fromTarget = exchanges.Count(e => e.Side == Side.Target);
        Assert.Equal(exchanges.Count, fromSource + fromTarget);
        Assert.Equal(fromSource, apps.SourceHits);
        Assert.Equal(fromTarget, apps.TargetHits);
    }

    /// <summary>
    /// The sides a request may have been answered from: those of the routing phases whose possible window overlaps the
    /// request's [sent, received]. <paramref name="only"/> is the phase index when exactly one phase was possible.
    /// </summary>
    private static HashSet<Side> AllowedSides(IReadOnlyList<Load.Change> changes, Load.Exchange e, out int? only)
    {
        var sides = new HashSet<Side>();
        var phases = new List<int>();
        for (var i = 0; i <= changes.Count; i++)
        {
            var from = i == 0 ? 0 : changes[i - 1].Asked;
            var until = i == changes.Count ? long.MaxValue : changes[i].Acknowledged;
            if (from < e.Received && until > e.Sent)
            {
                phases.Add(i);
                var to = i == 0 ? CutoverPhase.Rehearsal : changes[i - 1].To;
                if (SideOf(to) is { } side)
                {
                    sides.Add(side);
                }
            }
        }

        only = phases.Count == 1 ? phases[0] : null;
        return sides;
    }

    private static Side? SideOf(CutoverPhase phase) => phase switch
    {
        CutoverPhase.Rehearsal or CutoverPhase.RolledBack => Side.Source,
        CutoverPhase.Switched => Side.Target,
        _ => null,
    };

    private enum Side
    {
        Source,
        Target,
    }

    /// <summary>64 workers, each on its own keep-alive connection, sending GETs back to back; bounded in count and time.</summary>
    private sealed class Load : IAsyncDisposable
    {
        private const int MaxPerConnection = 5_000;
        private static readonly TimeSpan MaxRun = TimeSpan.FromSeconds(120);

        private readonly CancellationTokenSource _stop = new(MaxRun);
        private readonly ConcurrentQueue<Exchange> _exchanges = new();
        private readonly List<Change> _changes = [];
        private readonly List<Task> _workers = [];
        private long _clock;
        private int _answers;

        public static Load Start(BridgeHost bridge)
        {
            var load = new Load();
            for (var i = 0; i < Connections; i++)
            {
                var worker = i;
                load._workers.Add(Task.Run(() => load.WorkAsync(worker, bridge.ProxyEndPoint)));
            }

            return load;
        }

        public Task WaitForAnswersAsync(int count, string what)
        {
            var target = Volatile.Read(ref _answers) + count;
            return WaitForAsync(() => Volatile.Read(ref _answers) >= target, $"{count} answers while {what}", TimeSpan.FromSeconds(60));
        }

        public Task ChangeAsync(BridgeHost bridge, CutoverPhase to) => ChangeByAsync(to, async () =>
        {
            var (status, body) = await PostPhaseAsync(bridge, "shop", $$"""{"phase":"{{to.Label()}}"}""");
            Assert.True(status == HttpStatusCode.OK, $"phase change to {to}: {(int)status} {body}");
        });

        public async Task ChangeByAsync(CutoverPhase to, Func<Task> change)
        {
            var asked = Tick();
            await change();
            _changes.Add(new Change(to, asked, Tick()));
        }

        public async Task<Result> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(90));
            return new Result([.. _exchanges], [.. _changes]);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }

        /// <summary>A tick of the logical clock, to place an observation among the requests.</summary>
        public long Mark() => Tick();

        private long Tick() => Interlocked.Increment(ref _clock);

        private async Task WorkAsync(int worker, IPEndPoint proxy)
        {
            var handler = LoopbackClient.Handler(proxy);
            handler.MaxConnectionsPerServer = 1;
            handler.PooledConnectionLifetime = Timeout.InfiniteTimeSpan;
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestVersion = HttpVersion.Version11;
            for (var n = 0; n < MaxPerConnection && !_stop.IsCancellationRequested; n++)
            {
                var sent = Tick();
                Side? side = null;
                string? failure = null;
                try
                {
                    // Not cancelled by the stop: a request in flight is always seen through to its answer.
                    using var response = await client.GetAsync($"http://{ShopHost}/page");
                    var body = await response.Content.ReadAsStringAsync();
                    side = response.StatusCode != HttpStatusCode.OK ? null
                        : body == $"source {ShopHost} 127.0.0.1" ? Side.Source
                        : body == $"target {ShopHost} 127.0.0.1" ? Side.Target
                        : null;
                    failure = side is null ? $"{(int)response.StatusCode} {body}" : null;
                }
                catch (Exception ex)
                {
                    failure = ex.GetBaseException().Message;
                }

                _exchanges.Enqueue(new Exchange(worker, sent, Tick(), side, failure));
                Interlocked.Increment(ref _answers);
            }
        }

        public sealed record Exchange(int Worker, long Sent, long Received, Side? Side, string? Failure);

        public sealed record Change(CutoverPhase To, long Asked, long Acknowledged);

        public sealed record Result(IReadOnlyList<Exchange> Exchanges, IReadOnlyList<Change> Changes);
    }
}
