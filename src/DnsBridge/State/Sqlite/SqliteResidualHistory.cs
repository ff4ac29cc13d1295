namespace DnsBridge.State.Sqlite;

/// <summary>Residual arrivals per cutover and minute; a minute written twice (two flushes in one minute) adds up.</summary>
public sealed class SqliteResidualHistory(SqliteStateDatabase database) : IResidualHistory
{
    public bool Add(IEnumerable<ResidualMinute> minutes) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var (cutover, minute, count) in minutes)
        {
            using var command = c.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO residual_minutes (cutover, minute, count) VALUES ($c, $m, $n) ON CONFLICT(cutover, minute) DO UPDATE SET count = count + $n";
            command.Parameters.AddWithValue("$c", cutover);
            command.Parameters.AddWithValue("$m", minute);
            command.Parameters.AddWithValue("$n", count);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    });

    public IReadOnlyList<ResidualMinute> Minutes(string cutover) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT minute, count FROM residual_minutes WHERE cutover = $c ORDER BY minute";
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<ResidualMinute>();
        while (reader.Read())
        {
            list.Add(new ResidualMinute(cutover, reader.GetInt64(0), reader.GetInt64(1)));
        }

        return list;
    });
}
