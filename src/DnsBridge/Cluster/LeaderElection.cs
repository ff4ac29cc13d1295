namespace DnsBridge.Cluster;

/// <summary>
/// Elects the leader among the replicas of one database. Every <see cref="Interval"/> a follower tries the lock on its
/// own session (opened anew when it has none) and, once it wins, takes office: it records a new term, which the
/// store then requires of the leader's writes (a deposed leader's late write is refused, never applied). The leader
/// pings its session instead of re-locking (the lock stacks), and the ping also checks that its term is still the
/// recorded one. Leadership ends when the lock is really lost: the session fails, another replica took office, or
/// the database has not answered for <see cref="LeaseTimeout"/> (by then the server may have ended the session). A
/// database that is only slow, or paused for less than that, keeps its leader: a ping still waiting is waited for,
/// not abandoned. A follower's round that takes longer than <see cref="StepTimeout"/> is abandoned with its session.
/// </summary>
internal sealed partial class LeaderElection : BackgroundService, ILeadership
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long a leader goes on leading without an answer from the database.</summary>
    public static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(12);

    private readonly Func<CancellationToken, Task<ILockSession>> _connect;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaderElection> _logger;
    private readonly Lock _gate = new();
    private ILockSession? _session;
    private volatile bool _leader;
    private long _term;
    private bool _unreachable;
    private bool _slow;
    private Task? _round;
    private CancellationTokenSource? _roundCancel;
    private DateTimeOffset _answeredAt;

    public LeaderElection(string replica, Func<CancellationToken, Task<ILockSession>> connect, TimeProvider time, ILogger<LeaderElection> logger)
    {
        Replica = replica;
        _connect = connect;
        _time = time;
        _logger = logger;
    }

    public string Replica { get; }

    public bool IsLeader => _leader;

    /// <summary>The term this replica took office under while it leads; null while it follows.</summary>
    public long? Term => _leader ? Interlocked.Read(ref _term) : null;

    /// <summary>Told true when this replica becomes leader and false when it stops (on the election's thread; must be quick).</summary>
    public event Action<bool>? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // StepAsync handles what a database can do; anything else is a bug that must not stop the process.
                LogStepFailed(_logger, Replica, e);
                await DropAsync();
            }

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

    /// <summary>One round: connect when needed, then try the lock (follower) or ping it (leader); or go on waiting for the last round.</summary>
    public async Task StepAsync(CancellationToken cancellationToken)
    {
        if (_round is null)
        {
            _roundCancel = new CancellationTokenSource();
            _round = Round(_roundCancel.Token);
            if (!_leader)
            {
                _answeredAt = _time.GetUtcNow();
            }
        }

        var round = _round;
        try
        {
            await round.WaitAsync(StepTimeout, _time, cancellationToken);
            _round = null;
            _answeredAt = _time.GetUtcNow();
            if (_unreachable || _slow)
            {
                _unreachable = _slow = false;
                LogReachable(_logger, Replica);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (TimeoutException) when (_leader && _time.GetUtcNow() - _answeredAt < LeaseTimeout)
        {
            // Slow is not lost: the lock is still ours as long as the session lives. The ping goes on; the next step waits for it.
            if (!_slow)
            {
                _slow = true;
                LogSlow(_logger, Replica, LeaseTimeout);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A round given up is abandoned: its late outcome is ignored (its session is no longer the current one).
            _round = null;
            _ = round.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            if (_roundCancel is { } cancel)
            {
                await cancel.CancelAsync();
            }

            var reason = e is TimeoutException && _leader ? $"no answer from the database for {LeaseTimeout.TotalSeconds:0} s" : e.Message;
            if (_leader)
            {
                LogLost(_logger, Replica, reason);
            }
            else if (!_unreachable)
            {
                LogUnreachable(_logger, Replica, reason);
            }

            _unreachable = !_leader || e is TimeoutException;
            _slow = false;
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
            if (!await session.PingAsync(Interlocked.Read(ref _term), cancellationToken))
            {
                throw new InvalidOperationException("another replica took office");
            }
        }
        else if (await session.TryLockAsync(cancellationToken))
        {
            // Leading starts only once the term is recorded: the new leader's first read of the store comes after it.
            var term = await session.TakeOfficeAsync(Replica, cancellationToken);
            lock (_gate)
            {
                // Abandoned meanwhile (the step timed out and dropped this session): the lock went with the session.
                if (!ReferenceEquals(_session, session))
                {
                    return;
                }

                Interlocked.Exchange(ref _term, term);
                SetLeader(true);
            }

            LogElected(_logger, Replica, term);
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

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Replica {Replica} leads the cluster (term {Term}): it runs the propagation monitor, the drain state machine and the alert outbox")]
    private static partial void LogElected(ILogger logger, string replica, long term);

    [LoggerMessage(EventId = 905, Level = LogLevel.Warning, Message = "Replica {Replica}: the database is slow to answer the leader's ping; it keeps leading while the session lives, for up to {Lease} without an answer")]
    private static partial void LogSlow(ILogger logger, string replica, TimeSpan lease);

    [LoggerMessage(EventId = 906, Level = LogLevel.Error, Message = "Replica {Replica}: an election round failed unexpectedly; it follows and tries again")]
    private static partial void LogStepFailed(ILogger logger, string replica, Exception exception);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Replica {Replica} lost the leadership ({Reason}); it follows until it wins the lock again")]
    private static partial void LogLost(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Replica {Replica}: the state store cannot be reached for the leader election ({Reason}); forwarding goes on, the election is retried every second")]
    private static partial void LogUnreachable(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 903, Level = LogLevel.Information, Message = "Replica {Replica}: the state store can be reached again for the leader election")]
    private static partial void LogReachable(ILogger logger, string replica);

    [LoggerMessage(EventId = 904, Level = LogLevel.Debug, Message = "Replica {Replica}: closing the lock session failed ({Reason})")]
    private static partial void LogCloseFailed(ILogger logger, string replica, string reason);
}
