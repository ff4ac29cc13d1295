namespace DnsBridge.State.Sqlite;

/// <summary>The cluster rows of the one SQLite replica: the same tables as in PostgreSQL, one writer.</summary>
public sealed class SqliteClusterStore(SqliteStateDatabase database) : IClusterStore
{
    public bool Heartbeat(string replica, string configHash, DateTimeOffset now) => database.Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO cluster_replicas (name, last_seen, config_hash) VALUES ($n, $at, $h) ON CONFLICT(name) DO UPDATE SET last_seen = $at, config_hash = $h";
        command.Parameters.AddWithValue("$n", replica);
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(now));
        command.Parameters.AddWithValue("$h", configHash);
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<ReplicaRecord> Replicas() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT name, last_seen, config_hash FROM cluster_replicas ORDER BY name";
        using var reader = command.ExecuteReader();
        var list = new List<ReplicaRecord>();
        while (reader.Read())
        {
            list.Add(new ReplicaRecord(reader.GetString(0), SqliteTime.Parse(reader.GetString(1)), reader.GetString(2)));
        }

        return list;
    });

    public bool RecordLeader(string replica, DateTimeOffset now) => database.Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO cluster_leader (id, replica, term, since) VALUES (1, $r, 1, $at) ON CONFLICT(id) DO UPDATE SET replica = $r, term = term + 1, since = $at";
        command.Parameters.AddWithValue("$r", replica);
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(now));
        command.ExecuteNonQuery();
    });

    public LeaderRecord? Leader() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT replica, term, since FROM cluster_leader WHERE id = 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? new LeaderRecord(reader.GetString(0), reader.GetInt64(1), SqliteTime.Parse(reader.GetString(2))) : null;
    });

    public bool SaveResidual(string replica, IReadOnlyList<ReplicaResidual> totals, DateTimeOffset now) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var row in totals)
        {
            using var command = c.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO cluster_residual (replica, cutover, requests, connections, last_residual_at, top_clients, updated_at) VALUES ($r, $c, $q, $n, $l, $t, $at)
                ON CONFLICT(replica, cutover) DO UPDATE SET requests = $q, connections = $n, last_residual_at = $l, top_clients = $t, updated_at = $at
                """;
            command.Parameters.AddWithValue("$r", replica);
            command.Parameters.AddWithValue("$c", row.Cutover);
            command.Parameters.AddWithValue("$q", row.Requests);
            command.Parameters.AddWithValue("$n", row.Connections);
            command.Parameters.AddWithValue("$l", row.LastResidualAt is { } last ? SqliteTime.Iso(last) : DBNull.Value);
            command.Parameters.AddWithValue("$t", row.TopClients);
            command.Parameters.AddWithValue("$at", SqliteTime.Iso(now));
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    });

    public IReadOnlyList<ReplicaResidual> Residual() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT replica, cutover, requests, connections, last_residual_at, top_clients FROM cluster_residual ORDER BY replica, cutover";
        using var reader = command.ExecuteReader();
        var list = new List<ReplicaResidual>();
        while (reader.Read())
        {
            list.Add(new ReplicaResidual(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : SqliteTime.Parse(reader.GetString(4)), reader.GetString(5)));
        }

        return list;
    });

    public bool SaveSnapshot(string cutover, string document, DateTimeOffset at) => database.Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO cluster_snapshots (cutover, document, at) VALUES ($c, $d, $at) ON CONFLICT(cutover) DO UPDATE SET document = $d, at = $at";
        command.Parameters.AddWithValue("$c", cutover);
        command.Parameters.AddWithValue("$d", document);
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(at));
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<StoredSnapshot> Snapshots() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT cutover, document, at FROM cluster_snapshots ORDER BY cutover";
        using var reader = command.ExecuteReader();
        var list = new List<StoredSnapshot>();
        while (reader.Read())
        {
            list.Add(new StoredSnapshot(reader.GetString(0), reader.GetString(1), SqliteTime.Parse(reader.GetString(2))));
        }

        return list;
    });

    /// <summary>One replica on its own file: its own clock is the only one.</summary>
    public DateTimeOffset? DatabaseNow() => null;
}
