namespace DnsBridge.State;

/// <summary>Each resolver's answer for a cutover, recorded when it changes: the propagation history of the report.</summary>
internal interface IPropagationHistory
{
    bool Add(PropagationChange change);

    /// <summary>The changes of one cutover, oldest first.</summary>
    IReadOnlyList<PropagationChange> Changes(string cutover);
}

/// <summary>A resolver's new answer (its label: target, source, ...) and addresses, comma-separated as stored.</summary>
internal sealed record PropagationChange(string Cutover, string Resolver, DateTimeOffset At, string Answer, string Addresses, int? Ttl);
