using DnsBridge.State;
using Prometheus;

namespace DnsBridge.Jobs;

/// <summary>
/// A hosted service whose work is one iteration a second (drain detector, residual flush, target health). The timer
/// is a <see cref="TimeProvider"/>'s, so tests drive it with a fake clock; each tick runs on a state thread, because
/// iterations read and write the store. The rules every such job needs, in one place:
/// <list type="bullet">
/// <item>a tick still running (a slow store) is not overlapped: the next one is skipped, not queued behind it; the
/// job's own short work under <see cref="Gate"/> is waited for instead;</item>
/// <item>an iteration that throws is logged and counted (<see cref="JobFailures"/>) and the next tick runs as usual;</item>
/// <item>stopping waits for a running tick, then runs the iteration once more when <see cref="IterateOnStop"/> (the
/// last second's counts are written on the way out), and no tick runs after that: the store closes once the hosted
/// services have stopped.</item>
/// </list>
/// </summary>
internal abstract class PeriodicJob(string job, TimeProvider time, Counter failures, ILogger logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private System.Threading.ITimer? _timer;
    private bool _stopped;
    private int _running;
    private long _ticks;

    /// <summary>
    /// Ticks finished so far (skipped ones not counted). A tick runs on a state thread after the timer fired: what a
    /// test with a fake clock waits for after advancing it, instead of guessing a sleep.
    /// </summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>The clock of the timer, and of the job's iterations.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>Held by every iteration; a job takes it for its own work that must not run alongside one.</summary>
    protected Lock Gate { get; } = new();

    /// <summary>True in the iteration that runs on the way out (<see cref="IterateOnStop"/>): the last chance to write.</summary>
    protected bool Stopping => _stopped;

    /// <summary>Whether stopping runs the iteration once more, after the last tick.</summary>
    protected abstract bool IterateOnStop { get; }

    /// <summary>The job's work; the gate is held.</summary>
    protected abstract void Iterate();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = Time.CreateTimer(_ => _ = StateThreads.Run(Tick), null, Interval, Interval);
        return Task.CompletedTask;
    }

    /// <summary>
    /// One iteration, on the calling thread; nothing when a tick is running already or the job has stopped. The job's
    /// own short work under the gate (a snapshot evaluated as it arrives, a config change) is waited for, not a reason
    /// to skip: only a tick skips a tick.
    /// </summary>
    public void Tick()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            lock (Gate)
            {
                if (_stopped)
                {
                    return;
                }

                IterateRecorded();
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }

        // Counted once the gate and the running mark are released: whoever sees the count move (a test's fake clock)
        // may start the next tick at once, and it must not find this one still in the way.
        Interlocked.Increment(ref _ticks);
    }

    /// <summary>A tick the timer had already handed to a state thread finds the job stopped and does nothing.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }

        await StateThreads.Run(() =>
        {
            lock (Gate)
            {
                _stopped = true;
                if (IterateOnStop)
                {
                    IterateRecorded();
                }
            }
        });
    }

    private void IterateRecorded()
    {
        try
        {
            Iterate();
        }
        catch (Exception e)
        {
            JobFailures.Record(failures, logger, job, e);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
