using System.Collections.Concurrent;

namespace DnsBridge.State;

/// <summary>
/// Where the stores' blocking calls run: a few dedicated threads, never the thread pool and never a socket's
/// completion thread. <c>serve</c> completes socket I/O inline on the epoll threads (SocketTuning),
/// so a database call made after a DNS answer or an HTTP response arrived would stall every socket of that epoll
/// thread, the database's own included: a connect on an idle loopback database then "timed out" after 5 s, and
/// leaderships were lost. The stores stay synchronous (SQLite is, and the contract tests drive both providers the
/// same way); callers in the background loops and the admin API await <see cref="Run{T}"/> instead, so a slow or
/// stopped database holds one of these threads for its command timeout and nothing else.
/// </summary>
public static class StateThreads
{
    /// <summary>
    /// Enough for every loop that can wait on the database at once (drain detector, residual flush, membership,
    /// outbox, monitor, admin reads) to wait together during an outage without queueing behind each other.
    /// </summary>
    public const int Count = 8;

    private static readonly BlockingCollection<Action> Queue = Start();

    private static BlockingCollection<Action> Start()
    {
        var queue = new BlockingCollection<Action>();
        for (var i = 0; i < Count; i++)
        {
            new Thread(() =>
            {
                foreach (var work in queue.GetConsumingEnumerable())
                {
                    work();
                }
            })
            { IsBackground = true, Name = $"dnsbridge-state-{i}" }.Start();
        }

        return queue;
    }

    /// <summary>Whether the calling thread is one of these (work already here runs inline, not queued behind itself).</summary>
    public static bool OnStateThread => Thread.CurrentThread.Name?.StartsWith("dnsbridge-state-", StringComparison.Ordinal) == true;

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
        Queue.Add(() =>
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
