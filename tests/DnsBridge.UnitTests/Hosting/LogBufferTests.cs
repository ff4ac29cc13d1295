using System.Collections.Concurrent;
using DnsBridge.Hosting;
using Serilog.Core;
using Serilog.Events;

namespace DnsBridge.UnitTests.Hosting;

/// <summary>
/// The buffer between the request path and stdout: every event gets out while the writer keeps up, none is waited
/// for when it does not (dropped and counted instead), and a stop writes what is queued.
/// </summary>
public sealed class LogBufferTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Events_from_concurrent_producers_all_reach_the_sink_in_each_producers_order_without_a_stop()
    {
        var sink = new CollectingSink();
        using var buffer = new LogBuffer(sink, capacity: 65536);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                buffer.Emit(Event(p, i));
            }
        })));

        // Written by the writer thread on its own, not by a flush on stop.
        await Until(() => sink.Events.Count == 20000);
        Assert.Equal(0, buffer.Dropped);
        foreach (var producer in sink.Events.GroupBy(e => e.Producer))
        {
            Assert.Equal(Enumerable.Range(0, 5000), producer.Select(e => e.Index));
        }
    }

    [Fact]
    public async Task A_single_event_after_a_quiet_spell_is_written_promptly()
    {
        var sink = new CollectingSink();
        using var buffer = new LogBuffer(sink, capacity: 100);

        for (var round = 0; round < 3; round++)
        {
            buffer.Emit(Event(0, round));
            await Until(() => sink.Events.Count == round + 1);
        }
    }

    [Fact]
    public async Task A_stuck_sink_never_blocks_the_caller_and_what_does_not_fit_is_dropped_and_counted()
    {
        using var release = new ManualResetEventSlim();
        var sink = new CollectingSink(release);
        var buffer = new LogBuffer(sink, capacity: 100);

        buffer.Emit(Event(0, 0));
        await Until(() => sink.Entered == 1); // the writer now hangs in the sink, as on a stdout nobody drains

        for (var i = 1; i <= 150; i++)
        {
            buffer.Emit(Event(0, i));
        }

        Assert.Equal(50, buffer.Dropped);
        release.Set();
        buffer.Dispose();
        Assert.Equal(Enumerable.Range(0, 101), sink.Events.Select(e => e.Index));
    }

    [Fact]
    public void A_stop_writes_everything_still_queued()
    {
        var sink = new CollectingSink();
        var buffer = new LogBuffer(sink, capacity: 65536);
        for (var i = 0; i < 10000; i++)
        {
            buffer.Emit(Event(0, i));
        }

        buffer.Dispose();
        buffer.Dispose();

        Assert.Equal(10000, sink.Events.Count);
        Assert.True(sink.Disposed);
    }

    [Fact]
    public async Task A_sink_that_throws_does_not_stop_the_events_after_it()
    {
        var sink = new CollectingSink(throwOn: 3);
        using var buffer = new LogBuffer(sink, capacity: 100);
        for (var i = 0; i < 10; i++)
        {
            buffer.Emit(Event(0, i));
        }

        await Until(() => sink.Events.Count == 9);
        Assert.DoesNotContain(sink.Events, e => e.Index == 3);
    }

    private static LogEvent Event(int producer, int index) => new(
        DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, MessageTemplate.Empty,
        [new LogEventProperty("Producer", new ScalarValue(producer)), new LogEventProperty("Index", new ScalarValue(index))]);

    private static async Task Until(Func<bool> condition)
    {
        var end = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < end, "condition not reached within the deadline");
            await Task.Delay(5);
        }
    }

    private sealed class CollectingSink(ManualResetEventSlim? gate = null, int throwOn = -1) : ILogEventSink, IDisposable
    {
        private readonly ConcurrentQueue<(int Producer, int Index)> _events = new();
        private int _entered;

        public IReadOnlyList<(int Producer, int Index)> Events => [.. _events];

        public int Entered => Volatile.Read(ref _entered);

        public bool Disposed { get; private set; }

        public void Emit(LogEvent logEvent)
        {
            Interlocked.Increment(ref _entered);
            gate?.Wait();
            var index = (int)((ScalarValue)logEvent.Properties["Index"]).Value!;
            if (index == throwOn)
            {
                throw new IOException("disk full");
            }

            _events.Enqueue(((int)((ScalarValue)logEvent.Properties["Producer"]).Value!, index));
        }

        public void Dispose() => Disposed = true;
    }
}
