namespace DnsBridge.State;

/// <summary>
/// The name servers a cutover's zone had when it was first monitored, kept so that a later, different set can be
/// recognised as a delegation move (the earlier set then being the previous servers). Stores; decides nothing.
/// </summary>
internal interface IDelegationStore
{
    /// <summary>The set first remembered for the cutover, or null when none was.</summary>
    RememberedNameServers? Remembered(string cutover);

    /// <summary>Keeps the first set only: a second call for the same cutover changes nothing. False when the write failed.</summary>
    bool Remember(RememberedNameServers servers);
}

/// <summary>The servers as their owner formats them (one entry each), and when they were first seen.</summary>
internal sealed record RememberedNameServers(string Cutover, IReadOnlyList<string> Servers, DateTimeOffset FirstSeenAt);
