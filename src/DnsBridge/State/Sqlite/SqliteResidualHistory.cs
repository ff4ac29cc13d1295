namespace DnsBridge.State.Sqlite;

/// <summary>Residual arrivals per cutover and minute; a minute written twice (two flushes in one minute) adds up.</summary>
internal sealed class SqliteResidualHistory(SqliteStateDatabase database) : IResidualHistory
{
    public bool Add(IEnumerable<ResidualMinute> minutes) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var (cutover, minute, count) in minutes)
        {
            c.Execute(transaction, "INSERT INTO residual_minutes (cutover, minute, count) VALUES (@c, @m, @n) ON CONFLICT(cutover, minute) DO UPDATE SET count = count + @n",
                ("c", cutover), ("m", minute), ("n", count));
        }

        transaction.Commit();
    });

    public IReadOnlyList<ResidualMinute> Minutes(string cutover) => database.Read(c => StateReads.ResidualMinutes(c, cutover));
}
