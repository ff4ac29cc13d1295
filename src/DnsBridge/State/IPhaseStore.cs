using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>A cutover's phase as stored: the phase and when it was entered.</summary>
internal sealed record StoredPhase(CutoverPhase Phase, DateTimeOffset Since);

/// <summary>What <see cref="IPhaseStore.Change"/> did.</summary>
internal enum PhaseWrite
{
    /// <summary>The phase and its event (with outbox rows) are stored, in one transaction.</summary>
    Changed,

    /// <summary>The stored phase was not the expected one (another replica or request changed it first): nothing written.</summary>
    Conflict,

    /// <summary>The write failed (see <see cref="IStateDatabase.Problem"/>): nothing written.</summary>
    Failed,
}

/// <summary>
/// Each cutover's phase, beside its drain status. Knows no policy (which changes are allowed is the caller's): it
/// stores a change only if the phase is still what the caller saw, so of two replicas changing it at once one wins.
/// </summary>
internal interface IPhaseStore
{
    /// <summary>Every stored phase, by cutover name (a cutover never changed has no row). Throws <see cref="StateStoreException"/> when unreadable.</summary>
    IReadOnlyDictionary<string, StoredPhase> LoadPhases();

    /// <summary>
    /// Stores <paramref name="to"/> for <paramref name="cutover"/> and appends <paramref name="e"/> with one outbox row per
    /// receiver, in one transaction, if the stored phase is <paramref name="expected"/> (no row counts as
    /// <paramref name="expected"/> when <paramref name="noRowIsExpected"/>). Any replica may write (no leader fence).
    /// </summary>
    PhaseWrite Change(string cutover, CutoverPhase expected, bool noRowIsExpected, CutoverPhase to, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now);
}
