using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>One row per cutover, written once (ON CONFLICT DO NOTHING): the first NS set seen is what a move is measured against.</summary>
public sealed class PostgresDelegationStore(PostgresStateDatabase database) : IDelegationStore
{
    public RememberedNameServers? Remembered(string cutover) => database.Read(c => StateReads.Remembered(c, PostgresDialect.Instance, cutover));

    public bool Remember(RememberedNameServers servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return database.WriteAsLeader((c, t) =>
        {
            using var command = new NpgsqlCommand(
                "INSERT INTO delegation_seen (cutover, servers, first_seen_at) VALUES (@c, @s, @at) ON CONFLICT (cutover) DO NOTHING", c, t);
            command.Parameters.AddWithValue("c", servers.Cutover);
            command.Parameters.AddWithValue("s", string.Join('\n', servers.Servers));
            command.Parameters.AddWithValue("at", servers.FirstSeenAt.ToUniversalTime());
            command.ExecuteNonQuery();
        });
    }
}
