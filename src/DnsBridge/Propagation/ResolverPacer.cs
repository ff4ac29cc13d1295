namespace DnsBridge.Propagation;

/// <summary>
/// The pace of the questions to one resolver (one address; its subnet rows included), kept across passes. Each
/// question waits for its slot of the pass's <see cref="PacingPlan"/> (spreading the pass), then for a slot of the
/// shared concurrency, then until at least 1/cap s after the previous question to this resolver actually went out:
/// late slots (a timeout before them, a full concurrency, a late timer) never bunch into a burst.
/// A slot is taken on a 10 ms grid of the clock: with a wave of cutovers, hundreds of questions a second to tens of
/// resolvers then go out a few at a time from one timer tick, not each from a timer of its own, which woke a thread
/// per question (issue 28). The grid only ever delays a question (by less than 10 ms). The gap stays on the real send
/// times, not on the grid, so a timer that fires late never lets two questions come closer than the cap allows.
/// </summary>
internal sealed class ResolverPacer(TimeProvider time)
{
    private static readonly long GridTicks = TimeSpan.FromMilliseconds(10).Ticks;
    private readonly Lock _lock = new();
    private PacingPlan? _plan;
    private long _next;
    private DateTimeOffset _reserved = DateTimeOffset.MinValue;
    private DateTimeOffset _lastSent = DateTimeOffset.MinValue;

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

    /// <summary>One question: at its slot, within <paramref name="concurrency"/>, at least the cap's gap after the previous one.</summary>
    public async Task<T> AskAsync<T>(DateTimeOffset slot, TimeSpan minimumGap, SemaphoreSlim concurrency, Func<CancellationToken, Task<T>> ask, CancellationToken cancellationToken)
    {
        var early = OnGrid(slot) - time.GetUtcNow();
        if (early > TimeSpan.Zero)
        {
            await Task.Delay(early, time, cancellationToken);
        }

        await concurrency.WaitAsync(cancellationToken);
        try
        {
            await GapAsync(minimumGap, cancellationToken);
            return await ask(cancellationToken);
        }
        finally
        {
            concurrency.Release();
        }
    }

    /// <summary>
    /// Waits until <paramref name="minimumGap"/> after the previous question went out. A turn is reserved first (so
    /// that many waiters wake one by one, not all at once to race), then checked against when the previous one really
    /// went out: a late timer only ever widens the gap. Alone, for the questions outside a pass's rows (finding the
    /// authoritative servers).
    /// </summary>
    public async Task GapAsync(TimeSpan minimumGap, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var turn = _reserved == DateTimeOffset.MinValue || now >= _reserved + minimumGap ? now : _reserved + minimumGap;
            _reserved = turn;
            wait = turn - now;
        }

        while (true)
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            lock (_lock)
            {
                var now = time.GetUtcNow();
                var allowed = _lastSent == DateTimeOffset.MinValue ? now : _lastSent + minimumGap;
                if (now >= allowed)
                {
                    _lastSent = now;
                    return;
                }

                wait = allowed - now;
            }
        }
    }

    /// <summary>The first point of the grid at or after <paramref name="at"/>.</summary>
    private static DateTimeOffset OnGrid(DateTimeOffset at) => new((at.UtcTicks + GridTicks - 1) / GridTicks * GridTicks, TimeSpan.Zero);
}
