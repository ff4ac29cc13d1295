namespace DnsBridge.State.Sqlite;

/// <summary>One step of the schema, applied once, in its own transaction, in version order.</summary>
internal sealed record SqliteMigration(int Version, string Description, string Sql)
{
    /// <summary>
    /// Every schema step, oldest first. Append only: a released step is never edited, since databases already at its
    /// version would not run it again.
    /// </summary>
    public static readonly IReadOnlyList<SqliteMigration> All =
    [
        // IF NOT EXISTS throughout: a database written before schema versions existed already has these tables (and
        // rows to keep), and is at version 1 once this step has recorded itself.
        new(1, "cutover status, events, outbox, residual minutes, propagation changes", """
            CREATE TABLE IF NOT EXISTS cutover_state (name TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, cutover TEXT NOT NULL, event TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS events_cutover ON events (cutover, at);
            CREATE TABLE IF NOT EXISTS outbox (event_id TEXT NOT NULL, receiver TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL, delivered_at TEXT, failed_at TEXT, last_error TEXT, PRIMARY KEY (event_id, receiver));
            CREATE TABLE IF NOT EXISTS residual_minutes (cutover TEXT NOT NULL, minute INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (cutover, minute));
            CREATE TABLE IF NOT EXISTS propagation_changes (cutover TEXT NOT NULL, resolver TEXT NOT NULL, at TEXT NOT NULL, answer TEXT NOT NULL, addresses TEXT NOT NULL, ttl INTEGER);
            CREATE INDEX IF NOT EXISTS propagation_changes_cutover ON propagation_changes (cutover, at);
            """),

        // The NS set a cutover's zone had when first monitored: a later, different set is a delegation move.
        new(2, "name servers first seen per cutover", """
            CREATE TABLE IF NOT EXISTS delegation_seen (cutover TEXT PRIMARY KEY, servers TEXT NOT NULL, first_seen_at TEXT NOT NULL);
            """),

        // Cluster mode's rows (one replica here): heartbeat and config hash, the leadership term, each replica's
        // residual totals and top clients, the leader's latest propagation snapshot per cutover.
        new(3, "replicas, leader, residual per replica, propagation snapshots", """
            CREATE TABLE IF NOT EXISTS cluster_replicas (name TEXT PRIMARY KEY, last_seen TEXT NOT NULL, config_hash TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cluster_leader (id INTEGER PRIMARY KEY CHECK (id = 1), replica TEXT NOT NULL, term INTEGER NOT NULL, since TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cluster_residual (replica TEXT NOT NULL, cutover TEXT NOT NULL, requests INTEGER NOT NULL, connections INTEGER NOT NULL,
                last_residual_at TEXT, top_clients TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (replica, cutover));
            CREATE TABLE IF NOT EXISTS cluster_snapshots (cutover TEXT PRIMARY KEY, document TEXT NOT NULL, at TEXT NOT NULL);
            """),

        // A cutover's phase (rehearsal, frozen, switched, rolled_back) beside its drain status: a row once it first changes.
        new(4, "cutover phases", """
            CREATE TABLE IF NOT EXISTS cutover_phase (name TEXT PRIMARY KEY, phase TEXT NOT NULL, since TEXT NOT NULL);
            """),

        // An event's structured facts (phase_changed: from, to, by, forced) as a JSON object beside its text; null for
        // the events whose text says it all. Added to the webhook's JSON body.
        new(5, "event fields", """
            ALTER TABLE events ADD COLUMN fields TEXT;
            """),

        // This replica's mirror results per cutover, so a restart keeps what rehearsal compared (the same rows as
        // in cluster mode, one replica here).
        new(6, "mirror results per replica", """
            CREATE TABLE IF NOT EXISTS cluster_mirror (replica TEXT NOT NULL, cutover TEXT NOT NULL, document TEXT NOT NULL, updated_at TEXT NOT NULL,
                PRIMARY KEY (replica, cutover));
            """),
    ];

    public static int Latest => All[^1].Version;
}
