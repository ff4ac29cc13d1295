namespace DnsBridge.State.Sqlite;

/// <summary>The cluster rows of the one SQLite replica: the same tables as in PostgreSQL, one writer.</summary>
internal sealed class SqliteClusterStore(SqliteStateDatabase database) : IClusterStore
{
    public bool Heartbeat(string replica, string configHash, DateTimeOffset now) => database.Write(c => c.Execute(null,
        "INSERT INTO cluster_replicas (name, last_seen, config_hash) VALUES (@n, @at, @h) ON CONFLICT(name) DO UPDATE SET last_seen = @at, config_hash = @h",
        ("n", replica), ("at", SqliteTime.Iso(now)), ("h", configHash)));

    public IReadOnlyList<ReplicaRecord> Replicas() => database.Read(c => ClusterReads.Replicas(c, SqliteDialect.Instance));

    public bool RecordLeader(string replica, DateTimeOffset now) => database.Write(c => c.Execute(null,
        "INSERT INTO cluster_leader (id, replica, term, since) VALUES (1, @r, 1, @at) ON CONFLICT(id) DO UPDATE SET replica = @r, term = term + 1, since = @at",
        ("r", replica), ("at", SqliteTime.Iso(now))));

    public LeaderRecord? Leader() => database.Read(c => ClusterReads.Leader(c, SqliteDialect.Instance));

    public bool SaveResidual(string replica, IReadOnlyList<ReplicaResidual> totals, DateTimeOffset now) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var row in totals)
        {
            c.Execute(transaction, """
                INSERT INTO cluster_residual (replica, cutover, requests, connections, last_residual_at, top_clients, updated_at) VALUES (@r, @c, @q, @n, @l, @t, @at)
                ON CONFLICT(replica, cutover) DO UPDATE SET requests = @q, connections = @n, last_residual_at = @l, top_clients = @t, updated_at = @at
                """,
                ("r", replica), ("c", row.Cutover), ("q", row.Requests), ("n", row.Connections), ("l", row.LastResidualAt is { } last ? SqliteTime.Iso(last) : null),
                ("t", row.TopClients), ("at", SqliteTime.Iso(now)));
        }

        transaction.Commit();
    });

    public IReadOnlyList<ReplicaResidual> Residual() => database.Read(c => ClusterReads.Residual(c, SqliteDialect.Instance));

    public bool SaveMirror(string replica, IReadOnlyList<StoredMirror> rows, DateTimeOffset now) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var row in rows)
        {
            c.Execute(transaction, """
                INSERT INTO cluster_mirror (replica, cutover, document, updated_at) VALUES (@r, @c, @d, @at)
                ON CONFLICT(replica, cutover) DO UPDATE SET document = @d, updated_at = @at
                """,
                ("r", replica), ("c", row.Cutover), ("d", row.Document), ("at", SqliteTime.Iso(now)));
        }

        transaction.Commit();
    });

    public IReadOnlyList<StoredMirror> Mirrors() => database.Read(ClusterReads.Mirrors);

    public bool SaveSnapshot(string cutover, string document, DateTimeOffset at) => database.Write(c => c.Execute(null,
        "INSERT INTO cluster_snapshots (cutover, document, at) VALUES (@c, @d, @at) ON CONFLICT(cutover) DO UPDATE SET document = @d, at = @at",
        ("c", cutover), ("d", document), ("at", SqliteTime.Iso(at))));

    public IReadOnlyList<StoredSnapshot> Snapshots() => database.Read(c => ClusterReads.Snapshots(c, SqliteDialect.Instance));

    /// <summary>One replica on its own file: its own clock is the only one.</summary>
    public DateTimeOffset? DatabaseNow() => null;
}
