namespace DnsBridge.State.Sqlite;

/// <summary>One row per cutover, written once (INSERT OR IGNORE): the first NS set seen is what a move is measured against.</summary>
public sealed class SqliteDelegationStore(SqliteStateDatabase database) : IDelegationStore
{
    public RememberedNameServers? Remembered(string cutover) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT servers, first_seen_at FROM delegation_seen WHERE cutover = $c";
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new RememberedNameServers(cutover, reader.GetString(0).Split('\n', StringSplitOptions.RemoveEmptyEntries), SqliteTime.Parse(reader.GetString(1)))
            : null;
    });

    public bool Remember(RememberedNameServers servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return database.Write(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO delegation_seen (cutover, servers, first_seen_at) VALUES ($c, $s, $at)";
            command.Parameters.AddWithValue("$c", servers.Cutover);
            command.Parameters.AddWithValue("$s", string.Join('\n', servers.Servers));
            command.Parameters.AddWithValue("$at", SqliteTime.Iso(servers.FirstSeenAt));
            command.ExecuteNonQuery();
        });
    }
}
