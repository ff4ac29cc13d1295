using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.State;
using DnsBridge.State.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.State;

/// <summary>
/// Schema versions of the SQLite file: a database written before versions existed upgrades in place and keeps its
/// rows; one written by a newer release is refused before anything is touched.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-migration").FullName;

    private string FilePath => Path.Combine(_dir, "state.db");

    private StateStores Open() => StateStores.Open(new StateConfig { Path = FilePath }, NullLoggerFactory.Instance);

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void A_new_file_is_created_at_the_current_version()
    {
        using var stores = Open();
        Assert.Equal(SqliteMigration.Latest, ((SqliteStateDatabase)stores.Database).SchemaVersion());
        Assert.Equal(SqliteMigration.Latest, Scalar("SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public void A_database_written_before_schema_versions_existed_upgrades_and_keeps_its_rows()
    {
        // The schema as the first release created it, with no schema_version table, and a cutover mid-drain.
        Execute("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE cutover_state (name TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE events (id TEXT PRIMARY KEY, cutover TEXT NOT NULL, event TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL);
            CREATE INDEX events_cutover ON events (cutover, at);
            CREATE TABLE outbox (event_id TEXT NOT NULL, receiver TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL, delivered_at TEXT, failed_at TEXT, last_error TEXT, PRIMARY KEY (event_id, receiver));
            CREATE TABLE residual_minutes (cutover TEXT NOT NULL, minute INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (cutover, minute));
            CREATE TABLE propagation_changes (cutover TEXT NOT NULL, resolver TEXT NOT NULL, at TEXT NOT NULL, answer TEXT NOT NULL, addresses TEXT NOT NULL, ttl INTEGER);
            CREATE INDEX propagation_changes_cutover ON propagation_changes (cutover, at);
            INSERT INTO cutover_state VALUES ('shop', '{"state":"Draining","since":"2025-03-01T12:00:00+00:00","residualTotal":42}', '2025-03-01T12:00:00.0000000Z');
            INSERT INTO events VALUES ('e1', 'shop', 'propagation_complete', '2025-03-01T12:00:00.0000000Z', 'shop: every resolver answers the target');
            INSERT INTO outbox (event_id, receiver, attempts, next_attempt_at, last_error) VALUES ('e1', 'https://hooks.example/x', 3, '2025-03-01T12:05:00.0000000Z', 'HTTP 503');
            INSERT INTO residual_minutes VALUES ('shop', 29016720, 17);
            INSERT INTO propagation_changes VALUES ('shop', 'google', '2025-03-01T11:59:00.0000000Z', 'target', '203.0.113.10', 300);
            """);
        var at = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

        using (var stores = Open())
        {
            Assert.Equal(SqliteMigration.Latest, ((SqliteStateDatabase)stores.Database).SchemaVersion());
            Assert.Equal(new DrainStatus { State = DrainState.Draining, Since = at, ResidualTotal = 42 }, stores.Statuses.Load()["shop"]);
            var e = new CutoverEvent("e1", "shop", EventNames.PropagationComplete, at, "shop: every resolver answers the target");
            Assert.Equal(e, Assert.Single(stores.Events.Events("shop")));
            Assert.Equal(new Delivery("e1", "hooks.example", 3, e), Assert.Single(stores.Events.DueDeliveries(at.AddMinutes(5))));
            Assert.Equal(new ResidualMinute("shop", 29016720, 17), Assert.Single(stores.ResidualHistory.Minutes("shop")));
            Assert.Equal(new PropagationChange("shop", "google", at.AddMinutes(-1), "target", "203.0.113.10", 300), Assert.Single(stores.PropagationHistory.Changes("shop")));

            // And it goes on working as any current database.
            Assert.True(stores.ResidualHistory.Add([new("shop", 29016720, 3)]));
            Assert.Equal(20, Assert.Single(stores.ResidualHistory.Minutes("shop")).Count);
        }

        // Opening again applies nothing twice.
        using (var again = Open())
        {
            Assert.Equal(SqliteMigration.Latest, ((SqliteStateDatabase)again.Database).SchemaVersion());
        }

        Assert.Equal(SqliteMigration.All.Count, Scalar("SELECT count(*) FROM schema_version"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM events"));
    }

    [Fact]
    public void Version_2_names_the_receivers_of_outbox_rows_by_their_urls_host_the_default_webhook_name()
    {
        // A database of the previous release (schema version 1), whose outbox rows hold receiver URLs with secrets.
        using (Open())
        {
        }

        Execute("""
            DELETE FROM schema_version WHERE version > 1;
            INSERT INTO events VALUES ('e1', 'shop', 'drain_complete', '2025-03-01T12:00:00.0000000Z', 'shop: drained');
            INSERT INTO events VALUES ('e2', 'shop', 'drain_regressed', '2025-03-02T12:00:00.0000000Z', 'shop: traffic is back');
            INSERT INTO outbox (event_id, receiver, attempts, next_attempt_at, last_error) VALUES ('e1', 'https://Hooks.Slack.com/services/T0/B0/SECRET', 30, '2025-03-01T15:30:00.0000000Z', 'HTTP 503');
            INSERT INTO outbox (event_id, receiver, attempts, next_attempt_at, delivered_at) VALUES ('e1', 'http://10.0.0.5:8080/alerts?key=k', 1, '2025-03-01T12:00:00.0000000Z', '2025-03-01T12:00:01.0000000Z');
            INSERT INTO outbox (event_id, receiver, attempts, next_attempt_at) VALUES ('e2', 'https://hooks.slack.com/services/T0/B0/SECRET', 0, '2025-03-02T12:00:00.0000000Z');
            INSERT INTO outbox (event_id, receiver, attempts, next_attempt_at) VALUES ('e2', 'https://hooks.slack.com/services/T1/B1/OTHER', 0, '2025-03-02T12:00:00.0000000Z');
            """);

        using var stores = Open();
        Assert.Equal(SqliteMigration.Latest, ((SqliteStateDatabase)stores.Database).SchemaVersion());

        // Each row's receiver is what the webhook's Name defaults to, so an unchanged config goes on delivering it.
        var slack = "https://Hooks.Slack.com/services/T0/B0/SECRET";
        Assert.Equal(WebhookConfig.DefaultName(slack), stores.Events.Outbox("e1")[0].Receiver);
        Assert.Equal(["hooks.slack.com", "10.0.0.5"], stores.Events.Outbox("e1").Select(r => r.Receiver));
        Assert.Equal(new OutboxRow("hooks.slack.com", 30, "HTTP 503", null, null), stores.Events.Outbox("e1")[0]);

        // Two URLs of one event on one host: the first takes the host, the second keeps its URL (still found by it).
        Assert.Equal(["hooks.slack.com", "https://hooks.slack.com/services/T1/B1/OTHER"], stores.Events.Outbox("e2").Select(r => r.Receiver));
    }

    [Fact]
    public void A_database_from_a_newer_release_is_refused_with_a_clear_message_and_left_alone()
    {
        using (var stores = Open())
        {
            Assert.True(stores.Statuses.Save("shop", new DrainStatus { State = DrainState.Quiet }, DateTimeOffset.UtcNow));
        }

        var future = SqliteMigration.Latest + 1;
        Execute($"INSERT INTO schema_version (version, description, applied_at) VALUES ({future}, 'from the future', '2030-01-01T00:00:00.0000000Z');");

        var refused = Assert.Throws<StateStoreException>(Open);
        Assert.Contains("State:Path", refused.Message, StringComparison.Ordinal);
        Assert.Contains(FilePath, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {future}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("newer release", refused.Message, StringComparison.Ordinal);
        Assert.Equal(future, Scalar("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(1, Scalar("SELECT count(*) FROM cutover_state"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
