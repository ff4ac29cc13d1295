namespace DnsBridge.State;

/// <summary>
/// What the replicas of one DnsBridge share besides drain status and events (DESIGN.md "Cluster mode"): who is there
/// (a heartbeat with each replica's config hash), who leads, each replica's residual totals and mirror results, and the leader's latest
/// propagation snapshot per cutover as an opaque document. With SQLite there is one replica and it always leads; the
/// rows are the same. Writes return false on failure (see <see cref="IStateDatabase.Problem"/>); reads throw
/// <see cref="StateStoreException"/>.
/// </summary>
internal interface IClusterStore
{
    /// <summary>Says the replica is alive now and which configuration it runs.</summary>
    bool Heartbeat(string replica, string configHash, DateTimeOffset now);

    IReadOnlyList<ReplicaRecord> Replicas();

    /// <summary>The replica that just won the leadership: the next term (its number one more than the last).</summary>
    bool RecordLeader(string replica, DateTimeOffset now);

    /// <summary>The replica that last won the leadership, or null before any did.</summary>
    LeaderRecord? Leader();

    /// <summary>
    /// The replica's running totals per cutover, as absolute values (a retried write cannot count twice); a cutover
    /// not in the list keeps its row.
    /// </summary>
    bool SaveResidual(string replica, IReadOnlyList<ReplicaResidual> totals, DateTimeOffset now);

    /// <summary>Every replica's totals, every cutover.</summary>
    IReadOnlyList<ReplicaResidual> Residual();

    /// <summary>
    /// The replica's mirror results of these cutovers, each the whole state as its owner serializes it (absolute, so a
    /// retried write counts nothing twice); a cutover not in the list keeps its row.
    /// </summary>
    bool SaveMirror(string replica, IReadOnlyList<StoredMirror> rows, DateTimeOffset now);

    /// <summary>Every replica's mirror results, every cutover.</summary>
    IReadOnlyList<StoredMirror> Mirrors();

    /// <summary>The latest propagation snapshot of a cutover, serialized by its owner.</summary>
    bool SaveSnapshot(string cutover, string document, DateTimeOffset at);

    IReadOnlyList<StoredSnapshot> Snapshots();

    /// <summary>The database server's clock (replicas agree on it), or null where there is no server (SQLite). Throws <see cref="StateStoreException"/> when unreachable.</summary>
    DateTimeOffset? DatabaseNow();
}

/// <summary>A replica as its last heartbeat left it.</summary>
internal sealed record ReplicaRecord(string Name, DateTimeOffset LastSeen, string ConfigHash);

/// <summary>The current leadership term: who won it, when, and its number (one more per election).</summary>
internal sealed record LeaderRecord(string Replica, long Term, DateTimeOffset Since);

/// <summary>
/// What one replica counted for one cutover since it first ran (restarts continue its totals): residual requests
/// and connections, its last residual arrival, and its heaviest clients as "address count" lines.
/// </summary>
internal sealed record ReplicaResidual(string Replica, string Cutover, long Requests, long Connections, DateTimeOffset? LastResidualAt, string TopClients);

/// <summary>One replica's mirror results of one cutover, as a document its owner (the mirror) reads.</summary>
internal sealed record StoredMirror(string Replica, string Cutover, string Document);

/// <summary>A propagation snapshot document and its time.</summary>
internal sealed record StoredSnapshot(string Cutover, string Document, DateTimeOffset At);
