using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>Resolver answer changes, appended as they happen; seq breaks ties between changes seen in the same instant.</summary>
internal sealed class PostgresPropagationHistory(PostgresStateDatabase database) : IPropagationHistory
{
    public bool Add(PropagationChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return database.WriteAsLeader((c, t) =>
        {
            using var command = new NpgsqlCommand(
                "INSERT INTO propagation_changes (cutover, resolver, at, answer, addresses, ttl) VALUES (@c, @r, @at, @a, @ad, @t)", c, t);
            command.Parameters.AddWithValue("c", change.Cutover);
            command.Parameters.AddWithValue("r", change.Resolver);
            command.Parameters.AddWithValue("at", change.At.ToUniversalTime());
            command.Parameters.AddWithValue("a", change.Answer);
            command.Parameters.AddWithValue("ad", change.Addresses);
            command.Parameters.Add(new NpgsqlParameter<int?>("t", change.Ttl));
            command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<PropagationChange> Changes(string cutover) => database.Read(c => StateReads.PropagationChanges(c, PostgresDialect.Instance, cutover));
}
