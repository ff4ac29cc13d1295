using DnsBridge.Forwarding;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Forwarding;

public sealed class WarningGateTests
{
    [Fact]
    public void One_warning_a_minute_and_the_next_says_how_many_were_held_back()
    {
        var time = new FakeTimeProvider();
        var gate = new WarningGate(time, TimeSpan.FromMinutes(1));

        Assert.True(gate.TryPass(out var first));
        Assert.Equal(0, first);

        for (var i = 0; i < 500; i++)
        {
            Assert.False(gate.TryPass(out _));
        }

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(gate.TryPass(out _));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(gate.TryPass(out var heldBack));
        Assert.Equal(501, heldBack);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(gate.TryPass(out var afterQuiet));
        Assert.Equal(0, afterQuiet);
    }

    [Fact]
    public async Task Concurrent_callers_let_exactly_one_warning_through_and_count_every_other()
    {
        var gate = new WarningGate(new FakeTimeProvider(), TimeSpan.FromMinutes(1));
        var passed = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (gate.TryPass(out _))
                {
                    Interlocked.Increment(ref passed);
                }
            }
        })));

        Assert.Equal(1, passed);
    }
}
