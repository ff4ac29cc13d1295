namespace DnsBridge.State.Postgres;

/// <summary>
/// One step of the PostgreSQL schema, applied once, in its own transaction, in version order, under
/// <see cref="PostgresStateDatabase.MigrationLockKey"/>. PostgreSQL's own list (not SQLite's): its types differ
/// (timestamptz, jsonb, identity columns) and so will its later steps (cluster tables).
/// </summary>
internal sealed record PostgresMigration(int Version, string Description, string Sql)
{
    /// <summary>
    /// Every schema step, oldest first. Append only: a released step is never edited, since databases already at its
    /// version would not run it again.
    /// </summary>
    public static readonly IReadOnlyList<PostgresMigration> All =
    [
        // seq columns keep insertion order where SQLite uses rowid (ties between rows written in the same instant).
        new(1, "cutover status, events, outbox, residual minutes, propagation changes", """
            CREATE TABLE cutover_state (name text PRIMARY KEY, status jsonb NOT NULL, updated_at timestamptz NOT NULL);
            CREATE TABLE events (id text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY, cutover text NOT NULL, event text NOT NULL,
                at timestamptz NOT NULL, text text NOT NULL);
            CREATE INDEX events_cutover ON events (cutover, at);
            CREATE TABLE outbox (event_id text NOT NULL REFERENCES events (id), receiver text NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY,
                attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL, delivered_at timestamptz, failed_at timestamptz,
                last_error text, PRIMARY KEY (event_id, receiver));
            CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
            CREATE TABLE residual_minutes (cutover text NOT NULL, minute bigint NOT NULL, count bigint NOT NULL, PRIMARY KEY (cutover, minute));
            CREATE TABLE propagation_changes (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, cutover text NOT NULL, resolver text NOT NULL,
                at timestamptz NOT NULL, answer text NOT NULL, addresses text NOT NULL, ttl integer);
            CREATE INDEX propagation_changes_cutover ON propagation_changes (cutover, at);
            """),

        // A dispatcher's lease on an outbox row (IEventStore.ClaimDue), so two processes that both believe they
        // dispatch never send the same row at once; and the NS set a cutover's zone had when first monitored.
        new(2, "outbox claims, name servers first seen per cutover", """
            ALTER TABLE outbox ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz;
            CREATE TABLE delegation_seen (cutover text PRIMARY KEY, servers text NOT NULL, first_seen_at timestamptz NOT NULL);
            """),

        // Cluster mode: heartbeats with config hashes, the leadership term, each replica's residual totals and top
        // clients, the leader's latest propagation snapshots (the SQL lives with its store).
        new(3, "replicas, leader, residual per replica, propagation snapshots", PostgresClusterStore.Schema),

        // A cutover's phase beside its drain status: a row once it first changes; any replica writes it.
        new(4, "cutover phases", PostgresPhaseStore.Schema),

        // An event's structured facts (phase_changed: from, to, by, forced) beside its text; null for the events whose
        // text says it all. Added to the webhook's JSON body.
        new(5, "event fields", """
            ALTER TABLE events ADD COLUMN fields jsonb;
            """),

        // Each replica's mirror results per cutover (the readiness report and the switch gate add them up), kept
        // across restarts.
        new(6, "mirror results per replica", PostgresClusterStore.MirrorSchema),
    ];

    public static int Latest => All[^1].Version;
}
