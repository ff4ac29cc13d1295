using System.Net;
using DnsBridge.Propagation;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>
/// The questions to one resolver, on a fake clock: spread evenly over the interval, never more than the cap in any
/// second, every name asked once a cycle; a pass longer than the interval when the cap cannot fit it.
/// </summary>
public sealed class ResolverPacerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly ResolverInfo Google = new("google", new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53), "World", "Google", Authoritative: false);

    /// <summary>
    /// Asks <paramref name="names"/> names of one resolver as the poller does (one slot each, all rows at once) and
    /// advances the clock a millisecond at a time, or <paramref name="every"/> (bounded), until all are asked: when each
    /// went out.
    /// </summary>
    private static async Task<IReadOnlyList<(string Name, DateTimeOffset At)>> AskAllAsync(int names, PacingPlan plan, SettlingClock time, TimeSpan? every = null)
    {
        var pacer = new ResolverPacer(time);
        using var concurrency = new SemaphoreSlim(32);
        var sent = new List<(string, DateTimeOffset)>();
        var spacing = plan.Spacing(Google);

        Task<int> Ask(int i) => pacer.AskAsync(pacer.Reserve(plan, spacing, 1), plan.MaxPerSecond, concurrency, _ =>
        {
            lock (sent)
            {
                sent.Add(($"n{i}.example.com", time.GetUtcNow()));
            }

            return Task.FromResult(i);
        }, CancellationToken.None);

        var asked = await Task.Run(() => Enumerable.Range(0, names).Select(Ask).ToArray());
        await time.RunAsync(asked, 120_000, every);
        lock (sent)
        {
            return [.. sent];
        }
    }

    private static int BusiestSecond(IEnumerable<(string Name, DateTimeOffset At)> sent) =>
        sent.GroupBy(s => (long)(s.At - Start).TotalSeconds).Max(g => g.Count());

    [Fact]
    public async Task Five_hundred_names_at_30_s_and_20_a_second_are_spread_evenly_over_the_interval()
    {
        var time = new SettlingClock(Start);
        var plan = new PacingPlan(Start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), 20, NameQuestions: 500, Cutovers: 500, Subnets: 0);

        var sent = await AskAllAsync(500, plan, time);

        Assert.Equal(500, sent.Select(s => s.Name).Distinct().Count());
        Assert.Equal(500, sent.Count);
        Assert.False(plan.Stretched(Google));
        Assert.Equal(TimeSpan.FromSeconds(30), plan.Cycle(Google));
        Assert.InRange(BusiestSecond(sent), 16, 17);

        // 30 s / 500: one every 60 ms, the last before the interval ends (the next pass begins then).
        var gaps = sent.Zip(sent.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.All(gaps, g => Assert.Equal(TimeSpan.FromMilliseconds(60), g));
        Assert.Equal(Start, sent[0].At);
        Assert.True(sent[^1].At < Start + TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task When_the_cap_cannot_fit_the_interval_the_pass_takes_longer_instead_of_bursting()
    {
        var time = new SettlingClock(Start);
        var plan = new PacingPlan(Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 20, NameQuestions: 500, Cutovers: 500, Subnets: 0);

        var sent = await AskAllAsync(500, plan, time);

        Assert.Equal(500, sent.Select(s => s.Name).Distinct().Count());
        Assert.Equal(20, BusiestSecond(sent));
        Assert.True(plan.Stretched(Google));
        Assert.Equal(TimeSpan.FromSeconds(25), plan.Cycle(Google));
        Assert.All(sent.Zip(sent.Skip(1), (a, b) => b.At - a.At), g => Assert.True(g >= TimeSpan.FromMilliseconds(50), $"{g}"));
        Assert.InRange(sent[^1].At - Start, TimeSpan.FromSeconds(24.9), TimeSpan.FromSeconds(25));
    }

    [Fact]
    public async Task Late_timers_keep_the_questions_on_the_grid_and_never_put_more_than_the_cap_into_a_second()
    {
        // A clock that moves 3 ms at a time: every timer fires 0 to 2 ms late, each by another amount, as on a busy
        // machine. A resolver at its cap (slots exactly a gap apart) must neither wait on timers of its own between
        // grid points (a thread woken per question) nor let two late-then-early questions into one second too many.
        var time = new SettlingClock(Start);
        var plan = new PacingPlan(Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 20, NameQuestions: 300, Cutovers: 300, Subnets: 0);

        var sent = await AskAllAsync(300, plan, time, TimeSpan.FromMilliseconds(3));

        Assert.Equal(300, sent.Count);
        Assert.Equal(0, time.OffGridTimers);
        var at = sent.Select(s => s.At).Order().ToList();
        Assert.All(at.Skip(20).Zip(at), pair => Assert.True(pair.First - pair.Second >= TimeSpan.FromSeconds(1), $"21 questions within {pair.First - pair.Second}"));

        // The cap's cycle is 15 s; the real-time second may cost a grid step a second, no more.
        Assert.InRange(at[^1] - Start, TimeSpan.FromSeconds(14.95), TimeSpan.FromSeconds(15.2));
    }

    [Fact]
    public async Task A_pass_in_a_hurry_asks_at_the_cap_s_pace()
    {
        var time = new SettlingClock(Start);
        var plan = new PacingPlan(Start, TimeSpan.FromSeconds(30), TimeSpan.Zero, 20, NameQuestions: 60, Cutovers: 60, Subnets: 0);

        var sent = await AskAllAsync(60, plan, time);

        Assert.Equal(60, sent.Count);
        Assert.Equal(20, BusiestSecond(sent));
        Assert.Equal(TimeSpan.FromSeconds(2.95), sent[^1].At - Start);
    }

    [Fact]
    public async Task Questions_whose_slots_came_late_still_go_out_a_gap_apart()
    {
        // Ten questions all due now (say, each waited behind a timeout): the cap's gap, not a burst.
        var time = new SettlingClock(Start);
        var pacer = new ResolverPacer(time);
        using var concurrency = new SemaphoreSlim(32);
        var sent = new List<DateTimeOffset>();
        var asked = await Task.Run(() => Enumerable.Range(0, 10).Select(i => pacer.AskAsync(Start, 5, concurrency, _ =>
        {
            lock (sent)
            {
                sent.Add(time.GetUtcNow());
            }

            return Task.FromResult(i);
        }, CancellationToken.None)).ToArray());
        await time.RunAsync(asked, 5_000);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => Start + TimeSpan.FromMilliseconds(200 * i)), sent.Order());
    }

    [Fact]
    public async Task Questions_outside_the_rows_take_turns_a_gap_apart_too()
    {
        // Finding the authoritative servers of a wave's hosts: all at once, each waiting for its turn alone.
        var time = new SettlingClock(Start);
        var pacer = new ResolverPacer(time);
        var sent = new List<DateTimeOffset>();
        var asked = await Task.Run(() => Enumerable.Range(0, 40).Select(async _ =>
        {
            await pacer.CapAsync(20, CancellationToken.None);
            lock (sent)
            {
                sent.Add(time.GetUtcNow());
            }
        }).ToArray());
        await time.RunAsync(asked, 5_000);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => Start + TimeSpan.FromMilliseconds(50 * i)), sent.Order());
    }

    [Fact]
    public async Task Questions_to_several_resolvers_due_within_10_ms_go_out_together_on_the_grid()
    {
        // Four resolvers, slots 3, 5, 7 and 10 ms after a grid point: one timer tick sends them all, none early.
        var time = new SettlingClock(Start);
        using var concurrency = new SemaphoreSlim(32);
        var sent = new List<DateTimeOffset>();
        var asked = await Task.Run(() => new[] { 3, 5, 7, 10 }.Select(ms => new ResolverPacer(time).AskAsync(Start + TimeSpan.FromMilliseconds(ms), 20, concurrency, _ =>
        {
            lock (sent)
            {
                sent.Add(time.GetUtcNow());
            }

            return Task.FromResult(ms);
        }, CancellationToken.None)).ToArray());
        await time.RunAsync(asked, 1_000);
        Assert.All(sent, at => Assert.Equal(Start + TimeSpan.FromMilliseconds(10), at));
    }

    [Fact]
    public void A_resolver_that_may_forward_client_subnets_counts_one_question_more_per_subnet_and_an_authoritative_one_an_SOA_per_cutover()
    {
        var plan = new PacingPlan(Start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), 20, NameQuestions: 100, Cutovers: 50, Subnets: 2);
        var authoritative = Google with { Name = "auth:ns1", Authoritative = true };

        Assert.Equal(300, plan.Questions(Google));
        Assert.Equal(100, plan.Questions(Google with { ForwardsClientSubnet = false }));
        Assert.Equal(150, plan.Questions(authoritative));
        Assert.Equal(TimeSpan.FromMilliseconds(100), plan.Spacing(Google));
        Assert.Equal(TimeSpan.FromMilliseconds(50), PacingPlan.MinimumGap(20));
        Assert.Equal(TimeSpan.FromTicks(3_333_334), PacingPlan.MinimumGap(3));
    }
}
