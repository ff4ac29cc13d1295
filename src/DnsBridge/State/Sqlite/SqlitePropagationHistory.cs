namespace DnsBridge.State.Sqlite;

/// <summary>Resolver answer changes, appended as they happen; rowid breaks ties between changes seen in the same instant.</summary>
public sealed class SqlitePropagationHistory(SqliteStateDatabase database) : IPropagationHistory
{
    public bool Add(PropagationChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return database.Write(c => Insert(c, change));
    }

    private static void Insert(Microsoft.Data.Sqlite.SqliteConnection c, PropagationChange change)
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO propagation_changes (cutover, resolver, at, answer, addresses, ttl) VALUES ($c, $r, $at, $a, $ad, $t)";
        command.Parameters.AddWithValue("$c", change.Cutover);
        command.Parameters.AddWithValue("$r", change.Resolver);
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(change.At));
        command.Parameters.AddWithValue("$a", change.Answer);
        command.Parameters.AddWithValue("$ad", change.Addresses);
        command.Parameters.AddWithValue("$t", change.Ttl is { } ttl ? ttl : DBNull.Value);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<PropagationChange> Changes(string cutover) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT resolver, at, answer, addresses, ttl FROM propagation_changes WHERE cutover = $c ORDER BY at, rowid";
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<PropagationChange>();
        while (reader.Read())
        {
            list.Add(new PropagationChange(cutover, reader.GetString(0), SqliteTime.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        }

        return list;
    });
}
