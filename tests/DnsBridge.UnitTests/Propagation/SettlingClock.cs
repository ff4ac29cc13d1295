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

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _waiting);
        return _fake.CreateTimer(s =>
        {
            Interlocked.Decrement(ref _waiting);
            callback(s);
        }, state, dueTime, period);
    }

    /// <summary>Advances a millisecond at a time (at most <paramref name="maxSteps"/>) until every task is done.</summary>
    public async Task RunAsync(IReadOnlyList<Task> tasks, int maxSteps)
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

            _fake.Advance(TimeSpan.FromMilliseconds(1));
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
