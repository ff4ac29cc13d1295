using DnsBridge.Events;
using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>
/// Each cutover's phase in the shared database. Any replica may change it (the operator's request lands on one of
/// them); the row lock taken before the check makes concurrent changes serial, so exactly one of them wins.
/// </summary>
internal sealed class PostgresPhaseStore(PostgresStateDatabase database) : IPhaseStore
{
    internal const string Schema = """
        CREATE TABLE cutover_phase (name text PRIMARY KEY, phase text NOT NULL, since timestamptz NOT NULL);
        """;

    public IReadOnlyDictionary<string, StoredPhase> LoadPhases() => database.Read(c => StateReads.Phases(c, PostgresDialect.Instance));

    public PhaseWrite Change(string cutover, CutoverPhase expected, bool noRowIsExpected, CutoverPhase to, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var conflict = false;
        var written = database.Write(c =>
        {
            conflict = false;
            using var transaction = c.BeginTransaction();

            // The first change of a cutover inserts its row; two replicas doing that at once: one inserts, the other
            // then finds the row (ON CONFLICT DO NOTHING waits for the first to commit) and checks it like any other.
            using (var insert = new NpgsqlCommand("INSERT INTO cutover_phase (name, phase, since) VALUES (@n, @p, @s) ON CONFLICT DO NOTHING", c, transaction))
            {
                insert.Parameters.AddWithValue("n", cutover);
                insert.Parameters.AddWithValue("p", to.Label());
                insert.Parameters.AddWithValue("s", now.ToUniversalTime());
                if (insert.ExecuteNonQuery() == 1)
                {
                    if (!noRowIsExpected)
                    {
                        conflict = true;
                        return;
                    }

                    PostgresEventStore.Insert(c, transaction, e, receivers, now, replay: false);
                    transaction.Commit();
                    return;
                }
            }

            using (var read = new NpgsqlCommand("SELECT phase FROM cutover_phase WHERE name = @n FOR UPDATE", c, transaction))
            {
                read.Parameters.AddWithValue("n", cutover);
                if (read.ExecuteScalar() as string != expected.Label())
                {
                    conflict = true;
                    return;
                }
            }

            using (var update = new NpgsqlCommand("UPDATE cutover_phase SET phase = @p, since = @s WHERE name = @n", c, transaction))
            {
                update.Parameters.AddWithValue("n", cutover);
                update.Parameters.AddWithValue("p", to.Label());
                update.Parameters.AddWithValue("s", now.ToUniversalTime());
                update.ExecuteNonQuery();
            }

            PostgresEventStore.Insert(c, transaction, e, receivers, now, replay: false);
            transaction.Commit();
        });
        return !written ? PhaseWrite.Failed : conflict ? PhaseWrite.Conflict : PhaseWrite.Changed;
    }
}
