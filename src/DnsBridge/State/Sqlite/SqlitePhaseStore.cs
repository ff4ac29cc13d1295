using DnsBridge.Events;

namespace DnsBridge.State.Sqlite;

/// <summary>Each cutover's phase (one row per cutover that ever changed phase), in the same file as the statuses.</summary>
internal sealed class SqlitePhaseStore(SqliteStateDatabase database) : IPhaseStore
{
    public IReadOnlyDictionary<string, StoredPhase> LoadPhases() => database.Read(c => StateReads.Phases(c, SqliteDialect.Instance));

    public PhaseWrite Change(string cutover, CutoverPhase expected, bool noRowIsExpected, CutoverPhase to, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var conflict = false;
        var written = database.Write(c =>
        {
            using var transaction = c.BeginTransaction();
            using (var read = c.Command(transaction, "SELECT phase FROM cutover_phase WHERE name = @n", ("n", cutover)))
            {
                var stored = read.ExecuteScalar() as string;
                if (stored is null ? !noRowIsExpected : stored != expected.Label())
                {
                    conflict = true;
                    return;
                }
            }

            c.Execute(transaction, "INSERT INTO cutover_phase (name, phase, since) VALUES (@n, @p, @s) ON CONFLICT(name) DO UPDATE SET phase = @p, since = @s",
                ("n", cutover), ("p", to.Label()), ("s", SqliteTime.Iso(now)));
            SqliteEventStore.Insert(c, transaction, e, receivers, now, "INSERT");
            transaction.Commit();
        });
        return !written ? PhaseWrite.Failed : conflict ? PhaseWrite.Conflict : PhaseWrite.Changed;
    }
}
