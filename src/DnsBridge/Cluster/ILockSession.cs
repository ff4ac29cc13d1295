namespace DnsBridge.Cluster;

/// <summary>
/// A dedicated database session that can hold the leadership lock: the lock lives exactly as long as the session, so
/// a session that fails (a killed backend, a lost network) is a lost leadership. Implemented over PostgreSQL's
/// session advisory lock; faked in unit tests.
/// </summary>
internal interface ILockSession : IAsyncDisposable
{
    /// <summary>Takes the lock if free, without waiting; false when another session holds it. Called only while not held (it stacks).</summary>
    Task<bool> TryLockAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Right after the lock is won: records this replica as the leader under a new term (one more than the last) and
    /// returns it. The leader's writes carry the term, and the store refuses them once another replica took office.
    /// </summary>
    Task<long> TakeOfficeAsync(string replica, CancellationToken cancellationToken);

    /// <summary>
    /// Proves the session (and so the lock) is still alive: true while <paramref name="term"/> is still the recorded
    /// one, false when another replica took office since; throws when the session is dead.
    /// </summary>
    Task<bool> PingAsync(long term, CancellationToken cancellationToken);
}
