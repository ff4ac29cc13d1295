namespace DnsBridge.Cluster;

/// <summary>One replica on its own state file (SQLite): it always leads, nothing is elected.</summary>
internal sealed class SingleInstance(string replica) : ILeadership
{
    public string Replica => replica;

    public bool IsLeader => true;

    /// <summary>No term: nothing is elected, and the store has no other writer to fence off.</summary>
    public long? Term => null;
}
