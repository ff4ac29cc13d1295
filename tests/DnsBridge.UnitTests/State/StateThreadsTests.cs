using DnsBridge.State;

namespace DnsBridge.UnitTests.State;

public sealed class StateThreadsTests
{
    [Fact]
    public async Task Work_queued_while_every_core_thread_is_blocked_still_runs_at_once()
    {
        // A stopped database holds each caller for its command timeout: more blocked callers than core threads
        // must not keep the next one (a drain tick) waiting behind them.
        using var release = new ManualResetEventSlim();
        var blocked = Enumerable.Range(0, StateThreads.Count + 4).Select(_ => StateThreads.Run(() => release.Wait(TimeSpan.FromMinutes(1)))).ToList();
        try
        {
            var next = StateThreads.Run(() => Thread.CurrentThread.Name);
            var finished = await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(next, finished);
            Assert.StartsWith("dnsbridge-state-", await next, StringComparison.Ordinal);
            Assert.All(blocked, b => Assert.False(b.IsCompleted));
            Assert.InRange(StateThreads.Threads, StateThreads.Count + 5, StateThreads.MaxCount);
        }
        finally
        {
            release.Set();
            await Task.WhenAll(blocked);
        }
    }

    [Fact]
    public async Task An_exception_comes_back_through_the_task_and_the_thread_serves_the_next_work()
    {
        var failed = StateThreads.Run(() => throw new InvalidOperationException("store gone"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Equal("store gone", error.Message);
        Assert.Equal(42, await StateThreads.Run(() => 42));
    }
}
