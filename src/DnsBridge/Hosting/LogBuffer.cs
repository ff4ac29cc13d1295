using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace DnsBridge.Hosting;

/// <summary>
/// Hands log events from the request path to one writer thread, in batches. With an access-log event per forwarded
/// request, a consumer woken per event never sleeps: Serilog.Sinks.Async's BlockingCollection waits on a
/// SemaphoreSlim, which spins before it blocks, and at thousands of events a second the next one always arrives
/// within the spin, so its thread spun between events (about 6 % of the proxy's CPU, 17 % of the managed samples;
/// docs/performance.md). Here the writer blocks in the kernel without spinning; the first event after a quiet spell
/// wakes it, it then lets <see cref="Gather"/> pass (or the buffer fill to half) and writes everything queued: at
/// most about a hundred wake-ups a second whatever the rate, none when idle. Never blocks the caller: beyond
/// <c>capacity</c> queued events, new ones are dropped and counted (<see cref="Dropped"/>).
/// </summary>
internal sealed class LogBuffer : ILogEventSink, IDisposable
{
    /// <summary>Short against the 200 ms of <see cref="StdoutSink"/>'s own buffer, long against a request.</summary>
    internal static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(2);
    private readonly ILogEventSink _inner;
    private readonly int _capacity;
    private readonly ConcurrentQueue<LogEvent> _queue = new();

    // Reserved before the enqueue and released after the dequeue, so the capacity holds under concurrent producers.
    private int _queued;

    // No spinning: a wait here is a futex sleep, a Set is paid only by the event that finds the writer idle.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _writer;
    private volatile bool _stopping;
    private long _dropped;

    public LogBuffer(ILogEventSink inner, int capacity)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _inner = inner;
        _capacity = capacity;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "dnsbridge log writer" };
        _writer.Start();
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        if (_stopping)
        {
            return;
        }

        var queued = Interlocked.Increment(ref _queued);
        if (queued > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(logEvent);
        if (queued == 1 || queued == (_capacity + 1) / 2)
        {
            _wake.Set();
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            _wake.Wait();
            if (!_stopping)
            {
                // Let a batch gather; a half-full buffer or a stop cuts it short.
                _wake.Reset();
                if (Volatile.Read(ref _queued) < (_capacity + 1) / 2)
                {
                    _wake.Wait(Gather);
                }
            }

            _wake.Reset();
            WriteQueued();
            if (_stopping)
            {
                WriteQueued();
                return;
            }
        }
    }

    private void WriteQueued()
    {
        while (true)
        {
            if (!_queue.TryDequeue(out var logEvent))
            {
                // A producer between its reservation and its enqueue: nanoseconds, and its event must not wait for
                // the next wake-up (only the event that finds the queue empty signals).
                if (Volatile.Read(ref _queued) == 0 || _stopping)
                {
                    return;
                }

                Thread.Yield();
                continue;
            }

            Interlocked.Decrement(ref _queued);

            try
            {
                _inner.Emit(logEvent);
            }
#pragma warning disable CA1031 // A sink that throws must not end the writer: the next events still go out.
            catch (Exception e)
#pragma warning restore CA1031
            {
                SelfLog.WriteLine("dnsbridge log writer: failed to write an event: {0}", e);
            }
        }
    }

    /// <summary>
    /// Writes what is queued, then disposes the inner sink. A writer stuck on a stdout that does not drain gets
    /// <see cref="DrainOnStop"/>, then the process goes on without it. Safe to call twice.
    /// </summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Set();
        if (_writer.Join(DrainOnStop))
        {
            _wake.Dispose();
        }

        (_inner as IDisposable)?.Dispose();
    }
}
