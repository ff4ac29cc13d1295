namespace DnsBridge.Cluster;

/// <summary>
/// Whether this replica leads: only the leader runs the propagation monitor, the drain state machine and the alert
/// outbox; followers read what it stored. With SQLite the one replica always leads.
/// </summary>
internal interface ILeadership : DnsBridge.State.ILeaderTerm
{
    /// <summary>This replica's name (<c>Cluster:ReplicaName</c>).</summary>
    string Replica { get; }

    bool IsLeader { get; }
}
