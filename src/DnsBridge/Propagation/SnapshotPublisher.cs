using DnsBridge.State;

namespace DnsBridge.Propagation;

/// <summary>Stores each new snapshot of the leader's monitor for the followers (they read it every second); cluster mode only.</summary>
internal sealed class SnapshotPublisher(IClusterStore store) : IPropagationListener
{
    public void OnSnapshot(PropagationSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);

        // A failed write is reported by the store's Problem; the next poll writes a newer snapshot anyway.
        store.SaveSnapshot(snapshot.Cutover, SnapshotDocument.Write(snapshot), snapshot.At);
    }
}
