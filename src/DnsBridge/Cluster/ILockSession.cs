namespace DnsBridge.Cluster;

/// <summary>
/// A dedicated database session that can hold the leadership lock: the lock lives exactly as long as the session, so
/// a session that fails (a killed backend, a lost network) is a lost leadership. Implemented over PostgreSQL's
/// session advisory lock; faked in unit tests.
/// </summary>
public interface ILockSession : IAsyncDisposable
{
    /// <summary>Takes the lock if free, without waiting; false when another session holds it. Called only while not held (it stacks).</summary>
    Task<bool> TryLockAsync(CancellationToken cancellationToken);

    /// <summary>Proves the session (and so the lock) is still alive; throws when it is not.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
