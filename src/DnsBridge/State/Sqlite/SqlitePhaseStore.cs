using DnsBridge.Events;

namespace DnsBridge.State.Sqlite;

/// <summary>Each cutover's phase (one row per cutover that ever changed phase), in the same file as the statuses.</summary>
public sealed class SqlitePhaseStore(SqliteStateDatabase database) : IPhaseStore
{
    public IReadOnlyDictionary<string, StoredPhase> LoadPhases() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT name, phase, since FROM cutover_phase";
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, StoredPhase>(StringComparer.Ordinal);
        while (reader.Read())
        {
            // A label this release does not know (written by a newer one) is left out: the caller keeps its own view.
            if (CutoverPhases.TryParse(reader.GetString(1), out var phase))
            {
                result[reader.GetString(0)] = new StoredPhase(phase, SqliteTime.Parse(reader.GetString(2)));
            }
        }

        return result;
    });

    public PhaseWrite Change(string cutover, CutoverPhase expected, bool noRowIsExpected, CutoverPhase to, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var conflict = false;
        var written = database.Write(c =>
        {
            using var transaction = c.BeginTransaction();
            using (var read = c.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT phase FROM cutover_phase WHERE name = $n";
                read.Parameters.AddWithValue("$n", cutover);
                var stored = read.ExecuteScalar() as string;
                if (stored is null ? !noRowIsExpected : stored != expected.Label())
                {
                    conflict = true;
                    return;
                }
            }

            using (var upsert = c.CreateCommand())
            {
                upsert.Transaction = transaction;
                upsert.CommandText = "INSERT INTO cutover_phase (name, phase, since) VALUES ($n, $p, $s) ON CONFLICT(name) DO UPDATE SET phase = $p, since = $s";
                upsert.Parameters.AddWithValue("$n", cutover);
                upsert.Parameters.AddWithValue("$p", to.Label());
                upsert.Parameters.AddWithValue("$s", SqliteTime.Iso(now));
                upsert.ExecuteNonQuery();
            }

            SqliteEventStore.Insert(c, transaction, e, receivers, now, "INSERT");
            transaction.Commit();
        });
        return !written ? PhaseWrite.Failed : conflict ? PhaseWrite.Conflict : PhaseWrite.Changed;
    }
}
