using DnsBridge.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DnsBridge.UnitTests.Cluster;

/// <summary>
/// The election's state machine against an in-memory lock server with PostgreSQL's session semantics (the lock lives
/// as long as the session that took it): who leads, when a leader steps down, and that nothing re-locks while leading.
/// </summary>
public sealed class LeaderElectionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-30T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly LockServer _server = new();

    private LeaderElection Replica(string name)
    {
        LeaderElection? election = null;
        election = new(name, _ => _server.Connect(election!), _time, NullLogger<LeaderElection>.Instance);
        return election;
    }

    [Fact]
    public async Task Exactly_one_of_three_replicas_leads_and_the_others_keep_trying()
    {
        LeaderElection[] replicas = [Replica("a"), Replica("b"), Replica("c")];
        for (var round = 0; round < 3; round++)
        {
            foreach (var replica in replicas)
            {
                await replica.StepAsync(CancellationToken.None);
            }
        }

        Assert.Single(replicas, r => r.IsLeader);
        Assert.True(replicas[0].IsLeader);

        // The leader pings; only the followers try the lock again (a session lock stacks, so the leader must not).
        Assert.Equal(1, _server.Sessions.Single(s => s.Owner == replicas[0]).TryLocks);
        Assert.Equal(3, _server.Sessions.Single(s => s.Owner == replicas[1]).TryLocks);
        Assert.Equal(2, _server.Sessions.Single(s => s.Owner == replicas[0]).Pings);
    }

    [Fact]
    public async Task A_leader_whose_session_dies_steps_down_and_a_follower_takes_over_on_its_next_round()
    {
        var a = Replica("a");
        var b = Replica("b");
        var changes = new List<bool>();
        a.Changed += changes.Add;
        await a.StepAsync(CancellationToken.None);
        await b.StepAsync(CancellationToken.None);
        Assert.True(a.IsLeader);

        // kill -9 of the leader: its backend ends, the server frees the lock at once.
        _server.Kill(a);
        await b.StepAsync(CancellationToken.None);
        Assert.True(b.IsLeader);

        // The old leader notices at its next ping, before doing anything else as leader.
        await a.StepAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        Assert.Equal([true, false], changes);
        Assert.True(_server.Sessions.Single(s => s.Owner == a).Disposed);

        // It comes back as a follower on a new session and does not win while b holds the lock.
        await a.StepAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        Assert.Equal(2, _server.Sessions.Count(s => s.Owner == a));
    }

    [Fact]
    public async Task An_unreachable_store_means_no_leader_until_it_is_back()
    {
        var a = Replica("a");
        _server.Down = true;
        await a.StepAsync(CancellationToken.None);
        await a.StepAsync(CancellationToken.None);
        Assert.False(a.IsLeader);

        _server.Down = false;
        await a.StepAsync(CancellationToken.None);
        Assert.True(a.IsLeader);
    }

    [Fact]
    public async Task A_slow_database_keeps_its_leader_while_it_answers_within_the_lease()
    {
        var a = Replica("a");
        await a.StepAsync(CancellationToken.None);
        Assert.True(a.IsLeader);
        var term = a.Term;

        // A ping that hangs past the step timeout (a database paused by SIGSTOP, a slow disk) is waited for, not abandoned.
        _server.Hang = true;
        for (var waited = TimeSpan.Zero; waited + LeaderElection.StepTimeout < LeaderElection.LeaseTimeout; waited += LeaderElection.StepTimeout)
        {
            var step = a.StepAsync(CancellationToken.None);
            _time.Advance(LeaderElection.StepTimeout);
            await step;
            Assert.True(a.IsLeader);
        }

        // The database answers: same session, same lock, same term, and only one ping was sent for the whole wait.
        _server.Hang = false;
        _server.Release();
        await a.StepAsync(CancellationToken.None);
        Assert.True(a.IsLeader);
        Assert.Equal(term, a.Term);
        Assert.False(_server.Sessions.Single().Disposed);
        Assert.Equal(1, _server.Sessions.Single().Pings);
    }

    [Fact]
    public async Task A_ping_unanswered_for_the_whole_lease_ends_the_leadership_and_frees_the_lock()
    {
        var a = Replica("a");
        await a.StepAsync(CancellationToken.None);
        Assert.True(a.IsLeader);

        _server.Hang = true;
        var waited = TimeSpan.Zero;
        while (a.IsLeader && waited <= LeaderElection.LeaseTimeout + LeaderElection.StepTimeout)
        {
            var step = a.StepAsync(CancellationToken.None);
            _time.Advance(LeaderElection.StepTimeout);
            waited += LeaderElection.StepTimeout;
            await step;
        }

        Assert.False(a.IsLeader);
        Assert.Null(a.Term);
        Assert.InRange(waited, LeaderElection.LeaseTimeout, LeaderElection.LeaseTimeout + LeaderElection.StepTimeout);
        Assert.True(_server.Sessions.Single().Disposed);
        Assert.Null(_server.Holder);
    }

    [Fact]
    public async Task Each_leader_takes_office_under_a_new_term_and_a_deposed_one_steps_down_at_its_next_ping()
    {
        var a = Replica("a");
        var b = Replica("b");
        await a.StepAsync(CancellationToken.None);
        Assert.Equal(1, a.Term);

        // The server ended a's session (pg_terminate_backend) without a noticing yet: b takes the lock and office.
        _server.Kill(a);
        await b.StepAsync(CancellationToken.None);
        Assert.Equal(2, b.Term);
        Assert.Equal(2, _server.Term);

        await a.StepAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        Assert.Null(a.Term);
    }

    [Fact]
    public async Task A_leader_whose_term_was_taken_over_steps_down_even_if_its_session_still_answers()
    {
        var a = Replica("a");
        await a.StepAsync(CancellationToken.None);

        // Another replica recorded a newer term (it held the lock after a's session was ended and reopened).
        _server.Term++;
        await a.StepAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        Assert.True(_server.Sessions.Single().Disposed);
    }

    [Fact]
    public async Task A_lock_won_by_a_round_already_abandoned_does_not_make_a_leader()
    {
        var a = Replica("a");
        _server.Hang = true;
        var step = a.StepAsync(CancellationToken.None);
        _time.Advance(LeaderElection.StepTimeout);
        await step;

        // The hung try-lock answers "yes" late: its session was dropped, so the lock went with it.
        _server.Release();
        Assert.False(a.IsLeader);
    }

    [Fact]
    public async Task Stopping_the_service_frees_the_lock_at_once()
    {
        var a = Replica("a");
        await a.StartAsync(CancellationToken.None);
        await WaitUntil(() => a.IsLeader);
        await a.StopAsync(CancellationToken.None);

        Assert.False(a.IsLeader);
        Assert.Null(_server.Holder);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10);
        }
    }

    /// <summary>A lock held by one session at a time; a dead or closed session frees it.</summary>
    private sealed class LockServer
    {
        private readonly TaskCompletionSource<bool> _hung = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<Session> Sessions { get; } = [];

        public Session? Holder { get; set; }

        public bool Down { get; set; }

        public bool Hang { get; set; }

        /// <summary>The term recorded in the leadership row.</summary>
        public long Term { get; set; }

        public Task<ILockSession> Connect(LeaderElection owner)
        {
            if (Down)
            {
                throw new InvalidOperationException("connection refused");
            }

            var session = new Session(this, owner);
            Sessions.Add(session);
            return Task.FromResult<ILockSession>(session);
        }

        public void Kill(LeaderElection owner)
        {
            foreach (var session in Sessions.Where(s => s.Owner == owner))
            {
                session.Dead = true;
                if (Holder == session)
                {
                    Holder = null;
                }
            }
        }

        public Task<bool> Hung() => _hung.Task;

        public void Release() => _hung.TrySetResult(true);
    }

    private sealed class Session(LockServer server, LeaderElection owner) : ILockSession
    {
        public LeaderElection Owner { get; } = owner;

        public int TryLocks { get; private set; }

        public int Pings { get; private set; }

        public bool Dead { get; set; }

        public bool Disposed { get; private set; }

        public async Task<bool> TryLockAsync(CancellationToken cancellationToken)
        {
            TryLocks++;
            if (server.Hang)
            {
                var won = await server.Hung();
                if (won && !Disposed)
                {
                    server.Holder = this;
                }

                return won;
            }

            if (Dead)
            {
                throw new InvalidOperationException("terminating connection");
            }

            if (server.Holder is null)
            {
                server.Holder = this;
            }

            return server.Holder == this;
        }

        public Task<long> TakeOfficeAsync(string replica, CancellationToken cancellationToken) =>
            Dead ? throw new InvalidOperationException("terminating connection") : Task.FromResult(++server.Term);

        public async Task<bool> PingAsync(long term, CancellationToken cancellationToken)
        {
            Pings++;
            if (server.Hang)
            {
                await server.Hung();
            }

            if (Dead)
            {
                throw new InvalidOperationException("terminating connection");
            }

            return server.Term == term;
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            if (server.Holder == this)
            {
                server.Holder = null;
            }

            return ValueTask.CompletedTask;
        }
    }
}
