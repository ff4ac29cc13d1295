using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Propagation;

/// <summary>
/// A fake clock that knows how many of its timers are waiting: after each step, <see cref="RunAsync"/> waits (bounded)
/// until every unfinished task is back waiting on a timer, so a continuation that ran on the thread pool is never
/// overtaken by the next step.
/// </summary>
internal sealed class SettlingClock(DateTimeOffset start) : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(start);
    private int _waiting;
    private int _offGrid;

    /// <summary>Timers created to fire off the 10 ms grid (each one a wake-up of its own on a real clock).</summary>
    public int OffGridTimers => Volatile.Read(ref _offGrid);

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _waiting);
        if ((GetUtcNow() + dueTime).UtcTicks % TimeSpan.FromMilliseconds(10).Ticks != 0)
        {
            Interlocked.Increment(ref _offGrid);
        }

        return _fake.CreateTimer(s =>
        {
            Interlocked.Decrement(ref _waiting);
            callback(s);
        }, state, dueTime, period);
    }

    /// <summary>
    /// Advances a millisecond at a time, or <paramref name="every"/> (a timer then fires up to a step late, as a busy
    /// machine's do), at most <paramref name="maxSteps"/> times until every task is done.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<Task> tasks, int maxSteps, TimeSpan? every = null)
    {
        for (var step = 0; step < maxSteps; step++)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (tasks.Count(t => !t.IsCompleted) != Volatile.Read(ref _waiting))
            {
                Assert.True(DateTime.UtcNow < deadline, "the tasks did not settle on the clock's timers");
                await Task.Yield();
            }

            if (tasks.All(t => t.IsCompleted))
            {
                break;
            }

            _fake.Advance(every ?? TimeSpan.FromMilliseconds(1));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
