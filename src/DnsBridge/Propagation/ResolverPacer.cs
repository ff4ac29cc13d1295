namespace DnsBridge.Propagation;

/// <summary>
/// The pace of the questions to one resolver (one address; its subnet rows included), kept across passes. Each
/// question waits for its slot of the pass's <see cref="PacingPlan"/> (spreading the pass), then for a slot of the
/// shared concurrency, then for the cap: never more than <c>maxPerSecond</c> questions in any second of real send
/// times, and turns a gap (1/cap s) apart, so late slots (a timeout before them, a full concurrency, a late timer)
/// never bunch into a burst.
/// Every wait ends on a 10 ms grid of the clock: with a wave of cutovers, hundreds of questions a second to tens of
/// resolvers then go out a few at a time from one timer tick, not each from a timer of its own, which woke a thread
/// per question (issue 28). A question goes out on the grid point its turn falls in.
/// Why the turns are counted on the grid and the second on real times: a question leaves a little after its grid
/// point (the timer's lateness, another each time), so a gap counted from the real send time sent about every
/// other question of a resolver at its cap through a short timer of its own, off the grid; and turns alone let a
/// late timer put 11 questions into one second at a cap of 10. The real-time second costs a resolver at its cap
/// one grid step (10 ms) a second at most.
/// </summary>
internal sealed class ResolverPacer(TimeProvider time)
{
    private static readonly long GridTicks = TimeSpan.FromMilliseconds(10).Ticks;
    private readonly Lock _lock = new();
    private readonly Queue<long> _lastSecond = new();
    private PacingPlan? _plan;
    private long _next;
    private long _reserved = long.MinValue;
    private long _sent = long.MinValue;

    /// <summary>
    /// Reserves <paramref name="count"/> consecutive slots of this pass (a row's questions stay together, so early
    /// cutovers' rows finish early): the time of the first and the spacing between them.
    /// </summary>
    /// <param name="spacing">the plan's spacing for this resolver (<see cref="PacingPlan.Spacing(ResolverInfo)"/>)</param>
    public DateTimeOffset Reserve(PacingPlan plan, TimeSpan spacing, int count)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(plan, _plan))
            {
                _plan = plan;
                _next = 0;
            }

            var first = _next;
            _next += count;
            return plan.Start + (spacing * first);
        }
    }

    /// <summary>One question: at its slot, within <paramref name="concurrency"/>, within the cap.</summary>
    public async Task<T> AskAsync<T>(DateTimeOffset slot, int maxPerSecond, SemaphoreSlim concurrency, Func<CancellationToken, Task<T>> ask, CancellationToken cancellationToken)
    {
        var early = OnGrid(slot.UtcTicks) - time.GetUtcNow().UtcTicks;
        if (early > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(early), time, cancellationToken);
        }

        await concurrency.WaitAsync(cancellationToken);
        try
        {
            await CapAsync(maxPerSecond, cancellationToken);
            return await ask(cancellationToken);
        }
        finally
        {
            concurrency.Release();
        }
    }

    /// <summary>
    /// Waits until a question keeps the cap, and counts it as sent. A turn a gap after the previous one is reserved
    /// first (so that many waiters wake one by one, not all at once to race), then checked against the questions
    /// really sent. Alone, for the questions outside a pass's rows (finding the authoritative servers).
    /// </summary>
    public async Task CapAsync(int maxPerSecond, CancellationToken cancellationToken)
    {
        var gap = PacingPlan.MinimumGap(maxPerSecond).Ticks;
        long wait;
        lock (_lock)
        {
            var now = time.GetUtcNow().UtcTicks;
            _reserved = Math.Max(GridPoint(now), _reserved == long.MinValue ? long.MinValue : _reserved + gap);
            wait = GridPoint(_reserved) - now;
        }

        while (true)
        {
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromTicks(wait), time, cancellationToken);
            }

            lock (_lock)
            {
                var now = time.GetUtcNow().UtcTicks;
                var point = GridPoint(now);

                // The gap, on a virtual clock of grid points: a question goes out on the grid point its turn falls in.
                var turn = Math.Max(point, _sent == long.MinValue ? long.MinValue : _sent + gap);
                var at = turn < point + GridTicks ? now : GridPoint(turn);

                // The second, on real send times: the oldest of the last second must leave it first.
                while (_lastSecond.TryPeek(out var sent) && sent + TimeSpan.TicksPerSecond <= now)
                {
                    _lastSecond.Dequeue();
                }

                if (_lastSecond.Count >= maxPerSecond && _lastSecond.TryPeek(out var oldest))
                {
                    at = Math.Max(at, OnGrid(oldest + TimeSpan.TicksPerSecond));
                }

                if (at <= now)
                {
                    _sent = turn;
                    _lastSecond.Enqueue(now);
                    return;
                }

                wait = at - now;
            }
        }
    }

    /// <summary>The first point of the grid at or after <paramref name="ticks"/>.</summary>
    private static long OnGrid(long ticks) => (ticks + GridTicks - 1) / GridTicks * GridTicks;

    /// <summary>The last point of the grid at or before <paramref name="ticks"/>: the one a question sent then belongs to.</summary>
    private static long GridPoint(long ticks) => ticks / GridTicks * GridTicks;
}
