using DnsBridge.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DnsBridge.UnitTests.Jobs;

/// <summary>
/// The rules of the once-a-second job, each proved once here for the drain detector, the residual flush and the
/// target health monitor: a tick a second on the injected clock, no overlap, a failure counted and survived, and a stop
/// that waits for the running tick, iterates once more and lets nothing run after it.
/// </summary>
public sealed class PeriodicJobTests
{
    // Generous: the ticks run on state threads of a machine other tests keep busy.
    private const int BoundSeconds = 30;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(BoundSeconds);

    [Fact]
    public async Task It_ticks_once_a_second_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        using var job = new TestJob(time);
        await job.StartAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, job.Iterations);

        for (var second = 1; second <= 3; second++)
        {
            time.Advance(TimeSpan.FromMilliseconds(second == 1 ? 1 : 1000));
            WaitFor(() => job.Ticks == second, $"tick {second}");
        }

        Assert.Equal(3, job.Iterations);
    }

    [Fact]
    public async Task A_tick_while_one_runs_is_skipped_not_queued()
    {
        using var job = new TestJob(new FakeTimeProvider());
        using var release = new ManualResetEventSlim();
        job.Body = release.Wait;
        var running = Task.Run(job.Tick);
        WaitFor(() => job.Running == 1, "the first tick to run");

        job.Tick();
        Assert.Equal(1, job.Iterations);

        release.Set();
        await running.WaitAsync(Bound);
        Assert.Equal(1, job.Iterations);
        Assert.Equal(1, job.Ticks);
        Assert.Equal(1, job.MostAtOnce);
    }

    /// <summary>
    /// The drain detector evaluates a snapshot under the gate as it arrives: a tick that comes meanwhile waits for it
    /// instead of being lost, and a tick started the moment the previous one is counted runs too (a fake clock's test
    /// advances it exactly then).
    /// </summary>
    [Fact]
    public async Task A_tick_waits_for_the_jobs_own_work_under_the_gate_and_the_next_tick_may_start_once_one_is_counted()
    {
        using var job = new TestJob(new FakeTimeProvider());
        // The tick starts on a thread of its own while the gate is held, and is given time to give up, as it did when
        // it skipped (a task could be run inline by the holder's wait, and a lock lets its holder in again).
        var tick = new Thread(job.Tick);
        await Task.Run(() => job.UnderGate(() =>
        {
            tick.Start();
            tick.Join(TimeSpan.FromMilliseconds(500));
        })).WaitAsync(Bound);
        Assert.True(tick.Join(Bound), "the tick to finish once the gate is free");
        Assert.Equal(1, job.Ticks);

        for (var round = 0; round < 100; round++)
        {
            var counted = job.Ticks;
            var previous = Task.Run(job.Tick);
            WaitFor(() => job.Ticks > counted, $"the tick of round {round}");
            job.Tick();
            await previous.WaitAsync(Bound);
            Assert.Equal(counted + 2, job.Ticks);
        }
    }

    [Fact]
    public void A_failed_iteration_is_logged_and_counted_and_the_next_tick_runs()
    {
        using var job = new TestJob(new FakeTimeProvider()) { Body = () => throw new InvalidOperationException("boom") };

        job.Tick();
        job.Body = () => { };
        job.Tick();

        Assert.Equal(1, job.Failures.WithLabels(TestJob.Name).Value);
        Assert.Equal(2, job.Iterations);
        Assert.Equal(2, job.Ticks);
    }

    [Fact]
    public async Task Stop_waits_for_the_running_tick_iterates_once_more_and_nothing_runs_after_it()
    {
        var time = new FakeTimeProvider();
        using var job = new TestJob(time);
        await job.StartAsync(CancellationToken.None);
        using var release = new ManualResetEventSlim();
        job.Body = release.Wait;
        var running = Task.Run(job.Tick);
        WaitFor(() => job.Running == 1, "a tick to run");

        var stop = job.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted, "stop must wait for the running tick");

        job.Body = () => { };
        release.Set();
        await stop.WaitAsync(Bound);
        Assert.True(running.IsCompleted);
        Assert.Equal(2, job.Iterations);
        Assert.Equal(1, job.MostAtOnce);

        // Neither the timer nor a tick already handed to a state thread runs once the job stopped.
        time.Advance(TimeSpan.FromSeconds(5));
        job.Tick();
        Assert.Equal(2, job.Iterations);
    }

    [Fact]
    public async Task A_job_without_a_final_iteration_stops_without_one_and_a_failing_final_iteration_is_counted()
    {
        using var quiet = new TestJob(new FakeTimeProvider(), iterateOnStop: false);
        await quiet.StartAsync(CancellationToken.None);
        await quiet.StopAsync(CancellationToken.None);
        Assert.Equal(0, quiet.Iterations);

        using var failing = new TestJob(new FakeTimeProvider()) { Body = () => throw new InvalidOperationException("store closed") };
        await failing.StartAsync(CancellationToken.None);
        await failing.StopAsync(CancellationToken.None);
        Assert.Equal(1, failing.Iterations);
        Assert.Equal(1, failing.Failures.WithLabels(TestJob.Name).Value);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Bound} for {what}");
            Thread.Sleep(1);
        }
    }

    private sealed class TestJob : PeriodicJob
    {
        public const string Name = "test";
        private readonly bool _iterateOnStop;
        private int _iterations;
        private int _running;
        private int _mostAtOnce;

        public TestJob(TimeProvider time, bool iterateOnStop = true)
            : this(JobFailures.Counter(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())), time, iterateOnStop)
        {
        }

        private TestJob(Counter failures, TimeProvider time, bool iterateOnStop)
            : base(Name, time, failures, NullLogger.Instance)
        {
            Failures = failures;
            _iterateOnStop = iterateOnStop;
        }

        public Counter Failures { get; }
        public Action Body { get; set; } = () => { };
        public int Iterations => Volatile.Read(ref _iterations);
        public int Running => Volatile.Read(ref _running);
        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        protected override bool IterateOnStop => _iterateOnStop;

        public void UnderGate(Action work)
        {
            lock (Gate)
            {
                work();
            }
        }

        protected override void Iterate()
        {
            var atOnce = Interlocked.Increment(ref _running);
            InterlockedMax(ref _mostAtOnce, atOnce);
            Interlocked.Increment(ref _iterations);
            try
            {
                Body();
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
