namespace DnsBridge.State;

/// <summary>
/// The database behind the stores: opened and migrated at start, and its health. Never on the request path.
/// Writes of every store never throw for a database failure (they return false and set <see cref="Problem"/>); reads
/// throw <see cref="StateStoreException"/>, which names no driver type, so callers stay storage-neutral.
/// </summary>
internal interface IStateDatabase
{
    /// <summary>Where the state lives, for messages and logs (a file path, or host and database): never a secret.</summary>
    string Location { get; }

    /// <summary>Null while writes succeed, else why the last one failed (read-only, full, locked, unreachable).</summary>
    string? Problem();
}
