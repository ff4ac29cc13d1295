namespace DnsBridge.State;

/// <summary>
/// Where the stores' blocking calls run: dedicated threads, never the thread pool and never a socket's
/// completion thread. <c>serve</c> completes socket I/O inline on the epoll threads (SocketTuning),
/// so a database call made after a DNS answer or an HTTP response arrived would stall every socket of that epoll
/// thread, the database's own included: a connect on an idle loopback database then "timed out" after 5 s, and
/// leaderships were lost. The stores stay synchronous (SQLite is, and the contract tests drive both providers the
/// same way); callers in the background loops and the admin API await <see cref="Run{T}"/> instead, so a slow or
/// stopped database holds one of these threads for its command timeout and nothing else.
/// </summary>
/// <remarks>
/// <see cref="Count"/> threads always wait for work. When all of them are busy (a stopped database holds each
/// caller for its command timeout, and admin reads can outnumber the loops), one more thread is started for the
/// new work, up to <see cref="MaxCount"/>, and it ends after <see cref="SpareLifetime"/> without work: the drain
/// tick is never queued behind a row of blocked reads. Past <see cref="MaxCount"/> work queues, bounded by the
/// callers themselves (each awaits its own call).
/// </remarks>
internal static class StateThreads
{
    /// <summary>Every loop that can wait on the database at once (drain detector, residual flush, membership, outbox, monitor, phases).</summary>
    public const int Count = 8;

    /// <summary>The most threads blocked on the database at once, however many callers wait.</summary>
    public const int MaxCount = 64;

    /// <summary>How long a thread started beyond <see cref="Count"/> waits for more work before it ends.</summary>
    public static readonly TimeSpan SpareLifetime = TimeSpan.FromSeconds(30);

    // A plain monitor, not a BlockingCollection: its SemaphoreSlim spins (sched_yield) before it blocks, and with
    // hundreds of small writes a second (a wave's snapshots) the idle threads' spinning was a third of the process's
    // CPU. Monitor.Wait blocks at once.
    private static readonly object Gate = new();
    private static readonly Queue<Action> Pending = new();
    private static int _threads;
    private static int _idle;
    private static int _started;

#pragma warning disable CA1810 // The core threads start with the class, before any work can be queued.
    static StateThreads()
#pragma warning restore CA1810
    {
        for (var i = 0; i < Count; i++)
        {
            Interlocked.Increment(ref _threads);
            Start(spare: false);
        }
    }

    /// <summary>Threads alive now (the core ones and any spare ones still within their lifetime).</summary>
    public static int Threads => Volatile.Read(ref _threads);

    /// <summary>Whether the calling thread is one of these (work already here runs inline, not queued behind itself).</summary>
    public static bool OnStateThread => Thread.CurrentThread.Name?.StartsWith("dnsbridge-state-", StringComparison.Ordinal) == true;

    /// <summary>Starts a thread already counted in <see cref="_threads"/>.</summary>
    private static void Start(bool spare)
    {
        var number = Interlocked.Increment(ref _started) - 1;
        new Thread(() => Work(spare)) { IsBackground = true, Name = $"dnsbridge-state-{number}" }.Start();
    }

    private static void Work(bool spare)
    {
        var wait = spare ? SpareLifetime : Timeout.InfiniteTimeSpan;
        while (true)
        {
            Action work;
            lock (Gate)
            {
                _idle++;
                while (Pending.Count == 0)
                {
                    if (!Monitor.Wait(Gate, wait) && Pending.Count == 0)
                    {
                        _idle--;
                        Interlocked.Decrement(ref _threads);
                        return;
                    }
                }

                _idle--;
                work = Pending.Dequeue();
            }

            work();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a state thread; its result or exception comes back through the task.</summary>
    public static Task<T> Run<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (OnStateThread)
        {
            try
            {
                return Task.FromResult(work());
            }
            catch (Exception e)
            {
                return Task.FromException<T>(e);
            }
        }

        // Continuations run on the thread pool, never on the state thread that completed them.
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool spare;
        lock (Gate)
        {
            Pending.Enqueue(() =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            });

            // More work waiting than threads waiting for it (woken ones count until they take theirs): one more
            // thread, so a burst of blocking calls gets a thread each.
            spare = Pending.Count > _idle && Volatile.Read(ref _threads) < MaxCount;
            if (spare)
            {
                Interlocked.Increment(ref _threads);
            }

            Monitor.Pulse(Gate);
        }

        if (spare)
        {
            Start(spare: true);
        }

        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on a state thread.</summary>
    public static Task Run(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Run(() =>
        {
            work();
            return true;
        });
    }
}
