using System.Net;
using DnsBridge.Configuration;
using DnsBridge.Residual;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DnsBridge.UnitTests.Residual;

/// <summary>
/// A cutover's residual summaries are made by its first traffic (a wave of hundreds of idle cutovers stays small):
/// until then it reads as zeros with the same shape, and many threads arriving first at once are all counted.
/// </summary>
public sealed class LazyResidualTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-01T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture);

    private static ResidualCounter NewCounter(FakeTimeProvider time)
    {
        var accounting = new ResidualAccounting(new ResidualMetrics(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())), time);
        return accounting.For(new CutoverConfig { Name = "shop", Hosts = ["shop.example.com"], Target = new TargetConfig { Address = "203.0.113.10" } });
    }

    private static IPAddress Client(int i) => new([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);

    [Fact]
    public void An_untouched_cutover_reads_as_zeros_with_the_usual_shape()
    {
        var time = new FakeTimeProvider(T0);
        var counter = NewCounter(time);
        var minute = T0.ToUnixTimeSeconds() / 60;

        Assert.Equal(0, counter.Residual);
        Assert.Null(counter.LastResidualAt);
        Assert.Equal(0, counter.Minutes.Sum(minute, 60));
        var series = counter.Minutes.Series(minute, 60);
        Assert.Equal(60, series.Count);
        Assert.Equal(minute, series[^1].Minute);
        Assert.All(series, m => Assert.Equal(0, m.Count));
        Assert.Empty(counter.Clients.Top(10));
        Assert.Empty(counter.ConnectionClients.Top(10));
        Assert.Empty(counter.UserAgents.Top(1));
        Assert.Equal(SpaceSaving<IPAddress>.DefaultCapacity, counter.Clients.Capacity);
        Assert.Equal(1_000, counter.ConnectionClients.Capacity);
        Assert.Equal((0L, false), counter.DistinctClients(T0));
        Assert.Equal(0, counter.ClientsLastHour.Estimate(T0.UtcTicks));
    }

    [Fact]
    public void Threads_arriving_first_at_once_are_all_counted()
    {
        const int Threads = 16;
        const int PerThread = 500;
        var time = new FakeTimeProvider(T0);
        var counter = NewCounter(time);
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                // Every thread's first request is a new client of its own, so they race to make every summary.
                counter.Record(ResidualObservation.Request("/", $"agent-{t}", Client((t * PerThread) + i)));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        const int Total = Threads * PerThread;
        var minute = T0.ToUnixTimeSeconds() / 60;
        Assert.Equal(Total, counter.Requests);
        Assert.Equal(Total, counter.Minutes.Sum(minute, 1));
        Assert.Equal(Total, counter.Clients.Count);
        Assert.Equal(0, counter.Clients.Evictions);
        Assert.Equal((Total, false), counter.DistinctClients(T0));
        Assert.All(counter.Clients.Top(Total), c => Assert.Equal((1L, 0L), (c.Count, c.Error)));
        Assert.Equal(Enumerable.Repeat((long)PerThread, Threads), counter.UserAgents.Top(Threads).Select(a => a.Count));
        Assert.InRange(counter.ClientsLastHour.Estimate(T0.UtcTicks), Total * 0.9, Total * 1.1);
    }

    [Fact]
    public void A_summary_that_grows_keeps_every_key_and_count_up_to_its_capacity_then_evicts()
    {
        const int Capacity = 1_000;
        var summary = new SpaceSaving<int>(Capacity);
        Parallel.For(0, 8, t =>
        {
            // Each key twice, from two threads: growth of the slots races with hits and admissions of other keys.
            for (var k = t % 4; k < Capacity; k += 4)
            {
                summary.Touch(k, k);
            }
        });

        var all = summary.Top(Capacity * 2);
        Assert.Equal(Capacity, summary.Count);
        Assert.Equal(0, summary.Evictions);
        Assert.Equal(Enumerable.Range(0, Capacity), all.Select(h => h.Key).Order());
        Assert.All(all, h => Assert.Equal((2L, 0L), (h.Count, h.Error)));
        Assert.Equal(Capacity, summary.DistinctSince(0));

        summary.Touch(-1, Capacity);
        Assert.Equal(Capacity, summary.Count);
        Assert.Equal(1, summary.Evictions);
        Assert.Equal((-1, 3L, 2L), summary.Top(1) is [var top] ? (top.Key, top.Count, top.Error) : default);
    }

    [Fact]
    public void A_minute_ring_counts_every_racing_first_request()
    {
        var ring = new MinuteRing();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ring.Add(1_000);
            }
        });

        Assert.Equal(80_000, ring.Sum(1_000, 1));
        Assert.Equal([(999L, 0L), (1_000L, 80_000L)], ring.Series(1_000, 2));
    }
}
