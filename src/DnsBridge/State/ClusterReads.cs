using System.Data.Common;

namespace DnsBridge.State;

/// <summary>The reads of the cluster rows (<see cref="IClusterStore"/>), one SQL text for both providers.</summary>
internal static class ClusterReads
{
    public static List<ReplicaRecord> Replicas(DbConnection c, StateDialect d) =>
        c.ReadList("SELECT name, last_seen, config_hash FROM cluster_replicas ORDER BY name", r => new ReplicaRecord(r.GetString(0), d.ReadTime(r, 1), r.GetString(2)));

    public static LeaderRecord? Leader(DbConnection c, StateDialect d) =>
        c.ReadList("SELECT replica, term, since FROM cluster_leader WHERE id = 1", r => new LeaderRecord(r.GetString(0), r.GetInt64(1), d.ReadTime(r, 2))).FirstOrDefault();

    public static List<ReplicaResidual> Residual(DbConnection c, StateDialect d) =>
        c.ReadList("SELECT replica, cutover, requests, connections, last_residual_at, top_clients FROM cluster_residual ORDER BY replica, cutover",
            r => new ReplicaResidual(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), d.ReadNullableTime(r, 4), r.GetString(5)));

    public static List<StoredMirror> Mirrors(DbConnection c) =>
        c.ReadList("SELECT replica, cutover, document FROM cluster_mirror ORDER BY replica, cutover", r => new StoredMirror(r.GetString(0), r.GetString(1), r.GetString(2)));

    public static List<StoredSnapshot> Snapshots(DbConnection c, StateDialect d) =>
        c.ReadList("SELECT cutover, document, at FROM cluster_snapshots ORDER BY cutover", r => new StoredSnapshot(r.GetString(0), r.GetString(1), d.ReadTime(r, 2)));
}
