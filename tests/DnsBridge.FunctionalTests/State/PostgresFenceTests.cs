using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// Two replicas' stores on one real PostgreSQL: a leader deposed by a newer term (a failover, a session the server
/// ended) may still be finishing writes; none of them may undo what its successor decided.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresFenceTests(PostgresServer server) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private const string Hook = "https://hooks.example/drain";

    private readonly StateConfig _config = new() { Provider = StateConfig.ProviderPostgres, ConnectionString = server.CreateDatabase("fence") };
    private readonly List<StateStores> _opened = [];

    private sealed class Office : ILeaderTerm
    {
        public long? Term { get; set; }
    }

    private StateStores Open(Office office)
    {
        var stores = StateStores.Open(_config, NullLoggerFactory.Instance, office);
        _opened.Add(stores);
        return stores;
    }

    private static DrainStatus Status(DrainState state) => new() { State = state, Since = T0, DnsSwitchedAt = T0.AddMinutes(-5) };

    private static CutoverEvent Drained(string id) => new(id, "shop", EventNames.DrainComplete, T0, "shop: drained");

    /// <summary>Replica a's store, leading under its term, and replica b's, not leading yet.</summary>
    private (StateStores A, StateStores B, Office Second) ALeads()
    {
        var first = new Office();
        var second = new Office();
        var a = Open(first);
        var b = Open(second);
        Assert.True(a.Cluster.RecordLeader("a", T0));
        first.Term = a.Cluster.Leader()!.Term;
        return (a, b, second);
    }

    /// <summary>b takes office under the next term; a has not noticed and still believes its own.</summary>
    private static void BTakesOffice(StateStores b, Office second, DateTimeOffset at)
    {
        Assert.True(b.Cluster.RecordLeader("b", at));
        second.Term = b.Cluster.Leader()!.Term;
    }

    [Fact]
    public void A_deposed_leader_s_late_status_and_event_writes_are_refused_and_change_nothing()
    {
        var (a, b, second) = ALeads();
        Assert.True(a.Statuses.Save("shop", Status(DrainState.Quiet), T0));

        BTakesOffice(b, second, T0.AddSeconds(5));
        Assert.True(b.Statuses.Save("shop", Status(DrainState.Drained), T0.AddSeconds(6)));

        Assert.False(a.Statuses.Save("shop", Status(DrainState.Draining), T0.AddSeconds(7)));
        Assert.False(a.Events.Append(Drained("late"), Status(DrainState.Pending), [Hook], T0.AddSeconds(7)));
        Assert.Null(a.Database.Problem());

        Assert.Equal(DrainState.Drained, b.Statuses.Load()["shop"].State);
        Assert.Empty(b.Events.Events("shop"));
    }

    [Fact]
    public void A_retry_from_a_dispatcher_whose_claim_was_taken_over_leaves_the_new_claim_and_a_delivery_still_counts()
    {
        var (a, b, second) = ALeads();
        Assert.True(a.Events.Append(Drained("e1"), Status(DrainState.Drained), [Hook], T0));
        Assert.Single(a.Events.ClaimDue(T0, "a", T0.AddSeconds(60)));

        // a's lease ran out (a stalled process, a paused database); b leads now and claims the row again.
        BTakesOffice(b, second, T0.AddSeconds(61));
        Assert.Single(b.Events.ClaimDue(T0.AddSeconds(61), "b", T0.AddSeconds(121)));

        // a's late outcome of its own attempt: a retry must not release b's claim (a third claimant would send again).
        Assert.True(a.Events.MarkRetry("e1", Hook, T0.AddSeconds(62), "timeout"));
        Assert.Equal(new OutboxRow(Hook, 0, null, null, null), Assert.Single(b.Events.Outbox("e1")));
        Assert.Empty(Open(second).Events.ClaimDue(T0.AddSeconds(70), "c", T0.AddSeconds(130)));

        // The claim's holder writes its outcome; a delivery that happened is recorded whoever holds the claim.
        Assert.True(b.Events.MarkRetry("e1", Hook, T0.AddSeconds(80), "503"));
        Assert.Equal(new OutboxRow(Hook, 1, "503", null, null), Assert.Single(b.Events.Outbox("e1")));
        Assert.True(a.Events.MarkDelivered("e1", Hook, T0.AddSeconds(81)));
        Assert.Equal(T0.AddSeconds(81), Assert.Single(b.Events.Outbox("e1")).DeliveredAt);
    }

    public void Dispose()
    {
        foreach (var stores in _opened)
        {
            stores.Dispose();
        }
    }
}
