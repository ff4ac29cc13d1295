namespace DnsBridge.State;

/// <summary>
/// The fence of a shared store: the term under which this replica took office, while it leads (null while it does
/// not). The leader's writes (drain statuses and events, snapshots, propagation history, outbox claims) are applied
/// only while that term is still the one recorded in the database, so a deposed leader's late write is refused
/// instead of overwriting what its successor decided.
/// </summary>
internal interface ILeaderTerm
{
    long? Term { get; }
}
