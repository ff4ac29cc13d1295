using DnsBridge.Mirror;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Mirror;

/// <summary>
/// Copies use spare capacity only: the gate on a fake clock, with a probe that reports what each test says the
/// process's load is (the real probe measures the thread pool and the CPU; its findings are what is scripted here).
/// </summary>
public sealed class SpareCapacityTests : IDisposable
{
    private static readonly SpareCapacity.Load Idle = new(TimeSpan.FromMilliseconds(0.1), 0.3);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SpareCapacity _spare;
    private SpareCapacity.Load _load = Idle;
    private int _probes;

    public SpareCapacityTests()
    {
        _spare = new SpareCapacity(_time, NullLogger.Instance, report =>
        {
            _probes++;
            report(_load);
        });
    }

    public void Dispose() => _spare.Dispose();

    /// <summary>Moves the clock one probe period at a time, so every probe on the way runs.</summary>
    private void Advance(TimeSpan by)
    {
        for (var left = by; left > TimeSpan.Zero; left -= SpareCapacity.ProbeEvery)
        {
            _time.Advance(left < SpareCapacity.ProbeEvery ? left : SpareCapacity.ProbeEvery);
        }
    }

    /// <summary>A first copy starts probing (and goes); the next probe finds <paramref name="load"/>.</summary>
    private void Probe(SpareCapacity.Load load)
    {
        _ = _spare.WaitAsync();
        _load = load;
        Advance(SpareCapacity.ProbeEvery);
    }

    [Fact]
    public async Task On_an_idle_process_a_copy_goes_at_once()
    {
        var go = _spare.WaitAsync();

        Assert.True(go.IsCompletedSuccessfully);
        Assert.True(await go);
        Advance(SpareCapacity.ProbeEvery * 4);
        Assert.True(_spare.WaitAsync().IsCompletedSuccessfully);
        Assert.False(_spare.IsBusy);
    }

    [Theory]
    [InlineData(0.1, 0.95)] // its CPU used up
    [InlineData(12.0, 0.40)] // work queueing (a container throttled below a whole core)
    public async Task While_the_process_is_busy_copies_wait_and_all_go_when_room_comes_back(double queueMs, double cpu)
    {
        Probe(new SpareCapacity.Load(TimeSpan.FromMilliseconds(queueMs), cpu));
        Assert.True(_spare.IsBusy);

        var waiting = Enumerable.Range(0, 3).Select(_ => _spare.WaitAsync()).ToList();
        Advance(TimeSpan.FromSeconds(5));
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(3, _spare.Waiting);

        _load = Idle;
        Advance(SpareCapacity.ProbeEvery);

        Assert.All(await Task.WhenAll(waiting), Assert.True);
        Assert.Equal(0, _spare.Waiting);
        Assert.False(_spare.IsBusy);
    }

    [Fact]
    public async Task A_copy_that_waited_MaxWait_is_given_up_and_the_later_ones_keep_waiting()
    {
        Probe(new SpareCapacity.Load(TimeSpan.FromMilliseconds(0.1), 1.0));

        var first = _spare.WaitAsync();
        Advance(SpareCapacity.MaxWait / 2);
        var second = _spare.WaitAsync();
        Advance(SpareCapacity.MaxWait / 2);

        Assert.False(await first);
        Assert.False(second.IsCompleted);
        _load = Idle;
        Advance(SpareCapacity.ProbeEvery);
        Assert.True(await second);
    }

    [Fact]
    public void Probing_stops_when_no_copy_asked_for_a_while_and_a_stale_busy_never_holds_the_next_copy()
    {
        Probe(new SpareCapacity.Load(TimeSpan.FromMilliseconds(0.1), 0.97));
        Assert.True(_spare.IsBusy);

        Advance(SpareCapacity.IdleAfter + SpareCapacity.ProbeEvery);
        var probes = _probes;
        Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(probes, _probes);
        Assert.False(_spare.IsBusy);
        Assert.True(_spare.WaitAsync().IsCompletedSuccessfully);
        Advance(SpareCapacity.ProbeEvery);
        Assert.Equal(probes + 1, _probes);
    }

    [Fact]
    public async Task Copies_waiting_at_shutdown_are_given_up()
    {
        Probe(new SpareCapacity.Load(TimeSpan.FromMilliseconds(9), 1.0));
        var waiting = _spare.WaitAsync();

        _spare.Dispose();

        Assert.False(await waiting);
        Assert.False(await _spare.WaitAsync());
    }
}
