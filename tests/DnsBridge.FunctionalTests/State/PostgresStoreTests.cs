using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.State;
using DnsBridge.State.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// What only the shared PostgreSQL store has to get right: replicas migrating one database at once, schema upgrades
/// in place, outbox rows claimed by one dispatcher at a time, and the database going away under a running store.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresStoreTests(PostgresServer server)
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static StateStores Open(string connectionString) =>
        StateStores.Open(new StateConfig { Provider = StateConfig.ProviderPostgres, ConnectionString = connectionString }, NullLoggerFactory.Instance);

    private static CutoverEvent Event(string id, int second = 0) => new(id, "shop", EventNames.DrainComplete, T0.AddSeconds(second), "shop: drain_complete");

    [Fact]
    public async Task Replicas_starting_at_once_on_an_empty_database_all_open_it_and_apply_each_step_once()
    {
        var connectionString = await server.CreateDatabaseAsync("race");
        const int replicas = 6;
        using var start = new Barrier(replicas);
        var opened = await Task.WhenAll(Enumerable.Range(0, replicas).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            return Open(connectionString);
        })));
        try
        {
            Assert.All(opened, s => Assert.Equal(PostgresMigration.Latest, ((PostgresStateDatabase)s.Database).SchemaVersion()));
            Assert.Equal(PostgresMigration.All.Count, Convert.ToInt32(await PostgresServer.ScalarAsync(connectionString, "SELECT count(*) FROM schema_version")));
            Assert.Equal(PostgresMigration.All.Count, Convert.ToInt32(await PostgresServer.ScalarAsync(connectionString, "SELECT count(DISTINCT version) FROM schema_version")));

            // Every replica writes and sees the others' writes: one database, not six.
            for (var i = 0; i < replicas; i++)
            {
                Assert.True(opened[i].ResidualHistory.Add([new("shop", 100, i + 1)]));
            }

            Assert.All(opened, s => Assert.Equal(21, Assert.Single(s.ResidualHistory.Minutes("shop")).Count));
        }
        finally
        {
            foreach (var s in opened)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_database_at_an_older_schema_version_is_upgraded_in_place_keeping_its_rows()
    {
        var connectionString = await server.CreateDatabaseAsync("upgrade");
        var first = PostgresMigration.All[0];
        await PostgresServer.ScalarAsync(connectionString, $"""
            {first.Sql}
            CREATE TABLE schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO schema_version (version, description) VALUES (1, 'v1');
            INSERT INTO events (id, cutover, event, at, text) VALUES ('e1', 'shop', 'drain_complete', '2025-03-01T12:00:00Z', 'shop: drain_complete');
            INSERT INTO outbox (event_id, receiver, next_attempt_at) VALUES ('e1', 'ops', '2025-03-01T12:00:00Z');
            INSERT INTO residual_minutes VALUES ('shop', 100, 7);
            """);

        using var stores = Open(connectionString);

        Assert.Equal(PostgresMigration.Latest, ((PostgresStateDatabase)stores.Database).SchemaVersion());
        Assert.Equal(Event("e1"), Assert.Single(stores.Events.Events(null)));
        Assert.Equal(7, Assert.Single(stores.ResidualHistory.Minutes("shop")).Count);
        var claimed = Assert.Single(stores.Events.ClaimDue(T0, "replica-a", T0.AddMinutes(1)));
        Assert.Equal(("e1", "ops"), (claimed.EventId, claimed.Receiver));
        Assert.True(stores.Delegations.Remember(new RememberedNameServers("shop", ["ns1.example.net."], T0)));
    }

    [Fact]
    public async Task A_database_written_by_a_newer_release_is_refused_with_a_message_that_says_so()
    {
        var connectionString = await server.CreateDatabaseAsync("newer");
        using (Open(connectionString))
        {
        }

        await PostgresServer.ScalarAsync(connectionString, "INSERT INTO schema_version (version, description) VALUES (99, 'from the future')");

        var e = Assert.Throws<StateStoreException>(() => Open(connectionString));
        Assert.Contains("schema version 99, newer than this dnsbridge knows", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_fails_the_start_with_the_location_and_never_the_connection_string()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("auth")) { Password = "not-the-password-123" }.ConnectionString;

        var e = Assert.Throws<StateStoreException>(() => Open(connectionString));
        Assert.StartsWith($"State:ConnectionString postgres://127.0.0.1:{server.Port}/", e.Message, StringComparison.Ordinal);
        Assert.Contains("password authentication failed", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_outbox_row_is_claimed_by_one_dispatcher_until_it_is_marked_or_its_lease_ends()
    {
        var connectionString = await server.CreateDatabaseAsync("claim");
        using var a = Open(connectionString);
        using var b = Open(connectionString);
        Assert.True(a.Events.Append(Event("e1"), null, ["ops", "chat"], T0));
        Assert.True(a.Events.Append(Event("e2", second: 1), null, ["ops"], T0.AddSeconds(1)));

        var claimedByA = a.Events.ClaimDue(T0.AddSeconds(5), "replica-a", T0.AddSeconds(35), limit: 2);
        Assert.Equal([("e1", "ops"), ("e1", "chat")], claimedByA.Select(d => (d.EventId, d.Receiver)));

        // The other replica gets only what A did not claim; nothing is due twice while A's lease runs.
        Assert.Equal([("e2", "ops")], b.Events.ClaimDue(T0.AddSeconds(5), "replica-b", T0.AddSeconds(35)).Select(d => (d.EventId, d.Receiver)));
        Assert.Empty(b.Events.ClaimDue(T0.AddSeconds(6), "replica-b", T0.AddSeconds(36)));
        Assert.Empty(b.Events.DueDeliveries(T0.AddSeconds(6)));

        // A delivers one row and dies with the other: that one is due again once A's lease has passed, same attempts.
        Assert.True(a.Events.MarkDelivered("e1", "ops", T0.AddSeconds(7)));
        Assert.Empty(b.Events.ClaimDue(T0.AddSeconds(34), "replica-b", T0.AddSeconds(64)));
        var retaken = Assert.Single(b.Events.ClaimDue(T0.AddSeconds(35), "replica-b", T0.AddSeconds(65)), d => d.EventId == "e1");
        Assert.Equal(("chat", 0), (retaken.Receiver, retaken.Attempts));

        // A retry marked by its claimant ends the claim: due again at its next attempt time, for anyone.
        Assert.True(b.Events.MarkRetry("e1", "chat", T0.AddSeconds(40), "HTTP 503"));
        Assert.Equal([("e1", "chat", 1)], a.Events.ClaimDue(T0.AddSeconds(40), "replica-a", T0.AddSeconds(70)).Where(d => d.EventId == "e1").Select(d => (d.EventId, d.Receiver, d.Attempts)));
    }

    [Fact]
    public async Task Dispatchers_claiming_concurrently_never_get_the_same_row()
    {
        var connectionString = await server.CreateDatabaseAsync("claims");
        using var seed = Open(connectionString);
        const int events = 200;
        for (var i = 0; i < events; i++)
        {
            Assert.True(seed.Events.Append(Event($"e{i}", second: i), null, ["ops"], T0));
        }

        var dispatchers = Enumerable.Range(0, 4).Select(_ => Open(connectionString)).ToList();
        try
        {
            var claims = await Task.WhenAll(dispatchers.Select((d, n) => Task.Run(() =>
            {
                var mine = new List<string>();
                for (var round = 0; round < 100; round++)
                {
                    var batch = d.Events.ClaimDue(T0.AddMinutes(1), $"replica-{n}", T0.AddHours(1), limit: 7);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    mine.AddRange(batch.Select(x => x.EventId));
                }

                return mine;
            })));

            var all = claims.SelectMany(c => c).ToList();
            Assert.Equal(events, all.Count);
            Assert.Equal(events, all.Distinct().Count());
            Assert.True(claims.Count(c => c.Count > 0) > 1, "the claims were not concurrent: one dispatcher took every row");
        }
        finally
        {
            dispatchers.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public async Task While_postgres_is_down_writes_fail_without_throwing_reads_throw_and_both_work_again_once_it_is_back()
    {
        var connectionString = await server.CreateDatabaseAsync("down");
        using var stores = Open(connectionString);
        Assert.True(stores.ResidualHistory.Add([new("shop", 100, 1)]));

        await server.StopAsync();
        try
        {
            Assert.False(stores.ResidualHistory.Add([new("shop", 100, 2)]));
            Assert.StartsWith("write failed", stores.Database.Problem(), StringComparison.Ordinal);
            Assert.False(stores.Events.Append(Event("e1"), null, ["ops"], T0));
            var e = Assert.Throws<StateStoreException>(() => stores.Statuses.Load());
            Assert.Contains(stores.Database.Location, e.Message, StringComparison.Ordinal);
            Assert.Throws<StateStoreException>(() => stores.Events.ClaimDue(T0, "replica-a", T0.AddMinutes(1)));
        }
        finally
        {
            await server.StartAsync();
        }

        // Pooled connections broken by the restart are replaced: the first write after it succeeds.
        Assert.True(stores.ResidualHistory.Add([new("shop", 100, 2)]));
        Assert.Null(stores.Database.Problem());
        Assert.Equal(3, Assert.Single(stores.ResidualHistory.Minutes("shop")).Count);
    }
}
