using System.Diagnostics;

namespace DnsBridge.Mirror;

/// <summary>
/// Whether this process has CPU to spare for mirror copies. A copy runs on the same cores as the clients' requests;
/// while those cores are saturated, every copy made is paid for by clients (their requests queue behind it, and
/// throughput and p99 suffer), which the rehearsal must never do. So copies use spare capacity only: while copies
/// are being made, a probe looks every <see cref="ProbeEvery"/> at how much of the CPU it may use (its cores, as
/// <see cref="Environment.ProcessorCount"/> counts them: affinity and container limits) the process used since the
/// last probe, and how long a work item waits in the thread pool's queue, the queue every client request passes
/// through. From <see cref="BusyCpu"/> of its CPU, or a queue wait of <see cref="BusyDelay"/>, the process is busy:
/// a copy ready to go waits (in its <c>Mirror.MaxConcurrency</c> slot, so memory stays bounded) until a probe finds
/// room again, and one that waited <see cref="MaxWait"/> is dropped and counted (reason <c>busy</c>). Copies waiting
/// are let go together the moment a probe finds room; a peak shorter than <see cref="MaxWait"/> delays copies and
/// loses none.
/// </summary>
internal sealed partial class SpareCapacity : IDisposable
{
    /// <summary>
    /// A queue wait from which the process counts as busy whatever its CPU says: a container throttled below a whole
    /// core never reaches <see cref="BusyCpu"/> of <see cref="Environment.ProcessorCount"/> (rounded up), but its work
    /// waits out each throttled period. Well above the waits of a busy but unsaturated proxy (a few ms in bursts at 64
    /// connections), which would only make copies wait and then go in bursts.
    /// </summary>
    public static readonly TimeSpan BusyDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>The share of its CPU from which the process counts as busy.</summary>
    public const double BusyCpu = 0.9;

    public static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a copy may wait for room. Long on purpose: an answer compared 30 s late is still a fair comparison,
    /// and a short load peak should delay copies, not lose them.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    /// <summary>Probing stops this long after the last copy asked (nothing to decide); the next copy starts it again.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly Action<Action<Load>> _probe;
    private readonly Action<Load> _observe;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _waiting = new();
    private ITimer? _timer;
    private volatile bool _busy;
    private volatile int _waitingCount;
    private long _lastAsked;
    private bool _disposed;

    public SpareCapacity(TimeProvider time, ILogger<SpareCapacity> logger)
        : this(time, logger, new ProcessProbe().Measure)
    {
    }

    /// <param name="probe">Measures the load and reports it to the callback (this process's, unless a test's).</param>
    internal SpareCapacity(TimeProvider time, ILogger logger, Action<Action<Load>> probe)
    {
        _time = time;
        _logger = logger;
        _probe = probe;
        _observe = Observe;
    }

    /// <summary>What the last probe found (false while nothing is probed).</summary>
    public bool IsBusy => _busy;

    /// <summary>Copies waiting for room now.</summary>
    public int Waiting => _waitingCount;

    /// <summary>
    /// True when a copy may go: at once (a cached completed task) when the last probe found room and no copy waits
    /// before it, else when a probe finds room; false when it waited <see cref="MaxWait"/>.
    /// </summary>
    public Task<bool> WaitAsync()
    {
        var now = _time.GetTimestamp();
        Volatile.Write(ref _lastAsked, now);
        if (Volatile.Read(ref _timer) is null)
        {
            StartProbing();
        }

        if (!_busy && _waitingCount == 0)
        {
            return Task.FromResult(true);
        }

        lock (_lock)
        {
            if (_disposed || (!_busy && _waiting.Count == 0))
            {
                return Task.FromResult(!_disposed);
            }

            var waiter = new Waiter(new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), now);
            _waiting.Enqueue(waiter);
            _waitingCount = _waiting.Count;
            return waiter.Done.Task;
        }
    }

    /// <summary>One probe's finding: lets the waiting copies go, or drops those that waited too long.</summary>
    internal void Observe(Load load)
    {
        var busy = load.QueueDelay >= BusyDelay || load.CpuShare >= BusyCpu;
        var now = _time.GetTimestamp();
        List<Waiter>? go = null, late = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (busy != _busy)
            {
                LogBusy(_logger, busy ? "wait for spare capacity" : "go again", load.CpuShare * 100, load.QueueDelay.TotalMilliseconds, _waiting.Count);
            }

            _busy = busy;
            while (_waiting.TryPeek(out var first) && (!busy || _time.GetElapsedTime(first.Since, now) >= MaxWait))
            {
                _waiting.Dequeue();
                (busy ? late ??= [] : go ??= []).Add(first);
            }

            _waitingCount = _waiting.Count;
            if (_waiting.Count == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastAsked), now) >= IdleAfter)
            {
                // Idle: a stale "busy" must not hold the next copy until probing has restarted.
                _timer?.Dispose();
                _timer = null;
                _busy = false;
            }
        }

        go?.ForEach(w => w.Done.TrySetResult(true));
        late?.ForEach(w => w.Done.TrySetResult(false));
    }

    private void StartProbing()
    {
        lock (_lock)
        {
            if (_timer is null && !_disposed)
            {
                _timer = _time.CreateTimer(static self => ((SpareCapacity)self!).Probe(), this, ProbeEvery, ProbeEvery);
            }
        }
    }

    private void Probe() => _probe(_observe);

    public void Dispose()
    {
        Waiter[] left;
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            left = [.. _waiting];
            _waiting.Clear();
            _waitingCount = 0;
        }

        foreach (var waiter in left)
        {
            waiter.Done.TrySetResult(false);
        }
    }

    private sealed record Waiter(TaskCompletionSource<bool> Done, long Since);

    /// <summary>What one probe found: the thread pool's queue wait, and the share of its CPU the process used since the previous probe.</summary>
    internal readonly record struct Load(TimeSpan QueueDelay, double CpuShare);

    /// <summary>This process's load, as <see cref="Load"/> describes it.</summary>
    private sealed class ProcessProbe
    {
        private readonly Lock _lock = new();
        private TimeSpan _cpu = Environment.CpuUsage.TotalTime;
        private long _at = Stopwatch.GetTimestamp();

        /// <summary>
        /// Queues a work item at the end of the thread pool's global queue (where Kestrel's socket completions go);
        /// when it runs, reports how long it waited and the CPU used since the previous report. A probe that waits
        /// longer than a timer period has the next one queued behind it; both report, each over its own CPU window.
        /// </summary>
        public void Measure(Action<Load> report) => ThreadPool.UnsafeQueueUserWorkItem(
            static state => state.self.Report(state.report, Stopwatch.GetElapsedTime(state.start)), (self: this, report, start: Stopwatch.GetTimestamp()), preferLocal: false);

        private void Report(Action<Load> report, TimeSpan queueDelay)
        {
            Load load;
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                var cpu = Environment.CpuUsage.TotalTime;
                var wall = Stopwatch.GetElapsedTime(_at, now);
                load = new Load(queueDelay, wall <= TimeSpan.Zero ? 0 : (cpu - _cpu) / wall / Environment.ProcessorCount);
                (_cpu, _at) = (cpu, now);
            }

            report(load);
        }
    }

    [LoggerMessage(EventId = 323, Level = LogLevel.Debug, Message = "Mirror copies {What}: CPU {CpuPercent:F0} %, thread-pool queue wait {DelayMs:F1} ms, {Waiting} copies waiting")]
    private static partial void LogBusy(ILogger logger, string what, double cpuPercent, double delayMs, int waiting);
}
