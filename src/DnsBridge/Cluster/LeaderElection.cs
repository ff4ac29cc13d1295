namespace DnsBridge.Cluster;

/// <summary>
/// Elects the leader among the replicas of one database. Every <see cref="Interval"/> a follower tries the lock on its
/// own session (opened anew when it has none); the leader pings its session instead of re-locking (the lock stacks).
/// A step that fails or takes longer than <see cref="StepTimeout"/> (a half-dead connection) ends the leadership at
/// once and drops the session, which frees the lock on the server if it still held it: a killed leader frees it with
/// its socket, a vanished one when the server's idle-session timeout ends the session, and a follower takes over
/// within one interval after that.
/// </summary>
public sealed partial class LeaderElection : BackgroundService, ILeadership
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(3);

    private readonly Func<CancellationToken, Task<ILockSession>> _connect;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaderElection> _logger;
    private readonly Lock _gate = new();
    private ILockSession? _session;
    private volatile bool _leader;
    private bool _unreachable;

    public LeaderElection(string replica, Func<CancellationToken, Task<ILockSession>> connect, TimeProvider time, ILogger<LeaderElection> logger)
    {
        Replica = replica;
        _connect = connect;
        _time = time;
        _logger = logger;
    }

    public string Replica { get; }

    public bool IsLeader => _leader;

    /// <summary>Told true when this replica becomes leader and false when it stops (on the election's thread; must be quick).</summary>
    public event Action<bool>? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await StepAsync(stoppingToken);
            try
            {
                await Task.Delay(Interval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Stepping down on the way out frees the lock now, not when the server notices the process has gone.
        await DropAsync();
    }

    /// <summary>One round: connect when needed, then try the lock (follower) or ping it (leader).</summary>
    public async Task StepAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var round = Round(timeout.Token);
        try
        {
            await round.WaitAsync(StepTimeout, _time, cancellationToken);
            if (_unreachable)
            {
                _unreachable = false;
                LogReachable(_logger, Replica);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A round that hangs is abandoned: its late outcome is ignored (its session is no longer the current one).
            _ = round.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await timeout.CancelAsync();
            if (_leader)
            {
                LogLost(_logger, Replica, e.Message);
            }
            else if (!_unreachable)
            {
                LogUnreachable(_logger, Replica, e.Message);
            }

            _unreachable = true;
            await DropAsync();
        }
    }

    private async Task Round(CancellationToken cancellationToken)
    {
        var session = _session;
        if (session is null)
        {
            session = await _connect(cancellationToken);
            bool abandoned;
            lock (_gate)
            {
                abandoned = cancellationToken.IsCancellationRequested;
                if (!abandoned)
                {
                    _session = session;
                }
            }

            if (abandoned)
            {
                await session.DisposeAsync();
                return;
            }
        }

        if (_leader)
        {
            await session.PingAsync(cancellationToken);
        }
        else if (await session.TryLockAsync(cancellationToken))
        {
            lock (_gate)
            {
                // Abandoned meanwhile (the step timed out and dropped this session): the lock went with the session.
                if (!ReferenceEquals(_session, session))
                {
                    return;
                }

                SetLeader(true);
            }

            LogElected(_logger, Replica);
        }
    }

    /// <summary>Stops leading before anything else (the side effects stop first), then closes the session, freeing the lock.</summary>
    private async Task DropAsync()
    {
        ILockSession? session;
        lock (_gate)
        {
            SetLeader(false);
            session = _session;
            _session = null;
        }

        if (session is not null)
        {
            try
            {
                await session.DisposeAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogCloseFailed(_logger, Replica, e.Message);
            }
        }
    }

    private void SetLeader(bool leader)
    {
        if (_leader == leader)
        {
            return;
        }

        _leader = leader;
        Changed?.Invoke(leader);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Replica {Replica} leads the cluster: it runs the propagation monitor, the drain state machine and the alert outbox")]
    private static partial void LogElected(ILogger logger, string replica);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Replica {Replica} lost the leadership ({Reason}); it follows until it wins the lock again")]
    private static partial void LogLost(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Replica {Replica}: the state store cannot be reached for the leader election ({Reason}); forwarding goes on, the election is retried every second")]
    private static partial void LogUnreachable(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 903, Level = LogLevel.Information, Message = "Replica {Replica}: the state store can be reached again for the leader election")]
    private static partial void LogReachable(ILogger logger, string replica);

    [LoggerMessage(EventId = 904, Level = LogLevel.Debug, Message = "Replica {Replica}: closing the lock session failed ({Reason})")]
    private static partial void LogCloseFailed(ILogger logger, string replica, string reason);
}
