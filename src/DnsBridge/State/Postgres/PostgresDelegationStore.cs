namespace DnsBridge.State.Postgres;

/// <summary>One row per cutover, written once (ON CONFLICT DO NOTHING): the first NS set seen is what a move is measured against.</summary>
internal sealed class PostgresDelegationStore(PostgresStateDatabase database) : IDelegationStore
{
    public RememberedNameServers? Remembered(string cutover) => database.Read(c => StateReads.Remembered(c, PostgresDialect.Instance, cutover));

    public bool Remember(RememberedNameServers servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return database.WriteAsLeader((c, t) => c.Execute(t, "INSERT INTO delegation_seen (cutover, servers, first_seen_at) VALUES (@c, @s, @at) ON CONFLICT (cutover) DO NOTHING",
            ("c", servers.Cutover), ("s", string.Join('\n', servers.Servers)), ("at", servers.FirstSeenAt.ToUniversalTime())));
    }
}
