namespace DnsBridge.Configuration;

/// <summary>
/// Cluster mode (with <c>State:Provider: postgres</c>): the name this replica has among the replicas sharing the
/// database. Read at start; unique per replica (two replicas with one name would share, and overwrite, one row of counts).
/// </summary>
internal sealed record ClusterConfig
{
    public string ReplicaName { get; init; } = Environment.MachineName;
}
