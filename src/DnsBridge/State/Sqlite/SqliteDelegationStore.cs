namespace DnsBridge.State.Sqlite;

/// <summary>One row per cutover, written once (INSERT OR IGNORE): the first NS set seen is what a move is measured against.</summary>
internal sealed class SqliteDelegationStore(SqliteStateDatabase database) : IDelegationStore
{
    public RememberedNameServers? Remembered(string cutover) => database.Read(c => StateReads.Remembered(c, SqliteDialect.Instance, cutover));

    public bool Remember(RememberedNameServers servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return database.Write(c => c.Execute(null, "INSERT OR IGNORE INTO delegation_seen (cutover, servers, first_seen_at) VALUES (@c, @s, @at)",
            ("c", servers.Cutover), ("s", string.Join('\n', servers.Servers)), ("at", SqliteTime.Iso(servers.FirstSeenAt))));
    }
}
