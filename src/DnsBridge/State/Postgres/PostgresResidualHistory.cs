using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>
/// Residual arrivals per cutover and minute; a minute written twice (two flushes, or two replicas) adds up. One
/// statement per flush: the batch is summed per minute first (an upsert may touch a row once) and sent as arrays.
/// </summary>
internal sealed class PostgresResidualHistory(PostgresStateDatabase database) : IResidualHistory
{
    public bool Add(IEnumerable<ResidualMinute> minutes)
    {
        var summed = minutes.GroupBy(m => (m.Cutover, m.Minute)).Select(g => (g.Key.Cutover, g.Key.Minute, Count: g.Sum(m => m.Count))).ToList();
        if (summed.Count == 0)
        {
            return true;
        }

        return database.Write(c =>
        {
            using var command = new NpgsqlCommand("""
                INSERT INTO residual_minutes (cutover, minute, count) SELECT * FROM unnest(@c::text[], @m::bigint[], @n::bigint[])
                ON CONFLICT (cutover, minute) DO UPDATE SET count = residual_minutes.count + EXCLUDED.count
                """, c);
            command.Parameters.AddWithValue("c", summed.Select(s => s.Cutover).ToArray());
            command.Parameters.AddWithValue("m", summed.Select(s => s.Minute).ToArray());
            command.Parameters.AddWithValue("n", summed.Select(s => s.Count).ToArray());
            command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<ResidualMinute> Minutes(string cutover) => database.Read(c => StateReads.ResidualMinutes(c, cutover));
}
