namespace DnsBridge.Propagation;

/// <summary>Told about every new snapshot (the drain detector, the state store). Must be quick and must not throw.</summary>
internal interface IPropagationListener
{
    void OnSnapshot(PropagationSnapshot snapshot);
}
