using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>
/// The rows the replicas share (<see cref="IClusterStore"/>): each replica writes only its own rows (heartbeat,
/// residual totals), so no two replicas ever update the same row and nothing waits on another replica; the leader
/// alone writes the leadership term and the snapshots.
/// </summary>
internal sealed class PostgresClusterStore(PostgresStateDatabase database) : IClusterStore
{
    /// <summary>Cluster mode's schema step, appended to <see cref="PostgresMigration.All"/>.</summary>
    internal const string Schema = """
        CREATE TABLE cluster_replicas (name text PRIMARY KEY, last_seen timestamptz NOT NULL, config_hash text NOT NULL);
        CREATE TABLE cluster_leader (id integer PRIMARY KEY CHECK (id = 1), replica text NOT NULL, term bigint NOT NULL, since timestamptz NOT NULL);
        CREATE TABLE cluster_residual (replica text NOT NULL, cutover text NOT NULL, requests bigint NOT NULL, connections bigint NOT NULL,
            last_residual_at timestamptz, top_clients text NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (replica, cutover));
        CREATE TABLE cluster_snapshots (cutover text PRIMARY KEY, document text NOT NULL, at timestamptz NOT NULL);
        """;

    internal const string MirrorSchema = """
        CREATE TABLE cluster_mirror (replica text NOT NULL, cutover text NOT NULL, document text NOT NULL, updated_at timestamptz NOT NULL,
            PRIMARY KEY (replica, cutover));
        """;

    public bool Heartbeat(string replica, string configHash, DateTimeOffset now) => database.Write(c =>
    {
        using var command = new NpgsqlCommand("""
            INSERT INTO cluster_replicas (name, last_seen, config_hash) VALUES (@n, @at, @h)
            ON CONFLICT (name) DO UPDATE SET last_seen = EXCLUDED.last_seen, config_hash = EXCLUDED.config_hash
            """, c);
        command.Parameters.AddWithValue("n", replica);
        command.Parameters.AddWithValue("at", now.UtcDateTime);
        command.Parameters.AddWithValue("h", configHash);
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<ReplicaRecord> Replicas() => database.Read(c => ClusterReads.Replicas(c, PostgresDialect.Instance));

    public bool RecordLeader(string replica, DateTimeOffset now) => database.Write(c =>
    {
        using var command = new NpgsqlCommand("""
            INSERT INTO cluster_leader (id, replica, term, since) VALUES (1, @r, 1, @at)
            ON CONFLICT (id) DO UPDATE SET replica = EXCLUDED.replica, term = cluster_leader.term + 1, since = EXCLUDED.since
            """, c);
        command.Parameters.AddWithValue("r", replica);
        command.Parameters.AddWithValue("at", now.UtcDateTime);
        command.ExecuteNonQuery();
    });

    public LeaderRecord? Leader() => database.Read(c => ClusterReads.Leader(c, PostgresDialect.Instance));

    public bool SaveResidual(string replica, IReadOnlyList<ReplicaResidual> totals, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(totals);
        if (totals.Count == 0)
        {
            return true;
        }

        // One statement for every cutover; absolute values, so a write retried after an unknown outcome counts nothing twice.
        return database.Write(c =>
        {
            using var command = new NpgsqlCommand("""
                INSERT INTO cluster_residual (replica, cutover, requests, connections, last_residual_at, top_clients, updated_at)
                SELECT @r, * , @at FROM unnest(@c::text[], @q::bigint[], @n::bigint[], @l::timestamptz[], @t::text[])
                ON CONFLICT (replica, cutover) DO UPDATE SET requests = EXCLUDED.requests, connections = EXCLUDED.connections,
                    last_residual_at = EXCLUDED.last_residual_at, top_clients = EXCLUDED.top_clients, updated_at = EXCLUDED.updated_at
                """, c);
            command.Parameters.AddWithValue("r", replica);
            command.Parameters.AddWithValue("at", now.UtcDateTime);
            command.Parameters.AddWithValue("c", totals.Select(t => t.Cutover).ToArray());
            command.Parameters.AddWithValue("q", totals.Select(t => t.Requests).ToArray());
            command.Parameters.AddWithValue("n", totals.Select(t => t.Connections).ToArray());
            command.Parameters.AddWithValue("l", totals.Select(t => t.LastResidualAt?.UtcDateTime).ToArray());
            command.Parameters.AddWithValue("t", totals.Select(t => t.TopClients).ToArray());
            command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<ReplicaResidual> Residual() => database.Read(c => ClusterReads.Residual(c, PostgresDialect.Instance));

    public bool SaveMirror(string replica, IReadOnlyList<StoredMirror> rows, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return true;
        }

        // Any replica writes its own rows (no leader fence), like its residual totals.
        return database.Write(c =>
        {
            using var command = new NpgsqlCommand("""
                INSERT INTO cluster_mirror (replica, cutover, document, updated_at)
                SELECT @r, *, @at FROM unnest(@c::text[], @d::text[])
                ON CONFLICT (replica, cutover) DO UPDATE SET document = EXCLUDED.document, updated_at = EXCLUDED.updated_at
                """, c);
            command.Parameters.AddWithValue("r", replica);
            command.Parameters.AddWithValue("at", now.UtcDateTime);
            command.Parameters.AddWithValue("c", rows.Select(t => t.Cutover).ToArray());
            command.Parameters.AddWithValue("d", rows.Select(t => t.Document).ToArray());
            command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<StoredMirror> Mirrors() => database.Read(ClusterReads.Mirrors);

    public bool SaveSnapshot(string cutover, string document, DateTimeOffset at) => database.WriteAsLeader((c, t) =>
    {
        using var command = new NpgsqlCommand("""
            INSERT INTO cluster_snapshots (cutover, document, at) VALUES (@c, @d, @at)
            ON CONFLICT (cutover) DO UPDATE SET document = EXCLUDED.document, at = EXCLUDED.at
            """, c, t);
        command.Parameters.AddWithValue("c", cutover);
        command.Parameters.AddWithValue("d", document);
        command.Parameters.AddWithValue("at", at.UtcDateTime);
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<StoredSnapshot> Snapshots() => database.Read(c => ClusterReads.Snapshots(c, PostgresDialect.Instance));

    public DateTimeOffset? DatabaseNow() => database.Read(c =>
    {
        using var command = new NpgsqlCommand("SELECT now()", c);
        return command.ExecuteScalar() is DateTime now
            ? new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc))
            : throw new StateStoreException($"State:ConnectionString {database.Location}: the server gave no time");
    });
}
