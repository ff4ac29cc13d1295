namespace DnsBridge.State.Sqlite;

/// <summary>Resolver answer changes, appended as they happen; rowid breaks ties between changes seen in the same instant.</summary>
internal sealed class SqlitePropagationHistory(SqliteStateDatabase database) : IPropagationHistory
{
    public bool Add(PropagationChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return database.Write(c => c.Execute(null, "INSERT INTO propagation_changes (cutover, resolver, at, answer, addresses, ttl) VALUES (@c, @r, @at, @a, @ad, @t)",
            ("c", change.Cutover), ("r", change.Resolver), ("at", SqliteTime.Iso(change.At)), ("a", change.Answer), ("ad", change.Addresses), ("t", change.Ttl)));
    }

    public IReadOnlyList<PropagationChange> Changes(string cutover) => database.Read(c => StateReads.PropagationChanges(c, SqliteDialect.Instance, cutover));
}
