using DnsBridge.Configuration;
using Npgsql;

namespace DnsBridge.Cluster;

/// <summary>
/// The leadership lock: a PostgreSQL session advisory lock on a connection of its own, never from the pool (a pooled
/// connection keeps its session, and the lock, after it is closed). Tuned so that a dead holder is noticed fast on
/// both sides: a command that takes longer than the election's lease breaks the connection, and the server ends the
/// session (freeing the lock) after 15 s without a command (PostgreSQL 14 and newer) or after failed TCP keepalives (a vanished host).
/// </summary>
internal sealed class PostgresLockSession : ILockSession
{
    /// <summary>
    /// The advisory lock key: the first 8 bytes of SHA-256("dnsbridge:leader"), fixed here so that operators can find
    /// the holder in <c>pg_locks</c> (classid 3762285865, objid 602201091) next to its <c>application_name</c>.
    /// </summary>
    public const long LeaderKey = -2287849324729279485;

    private readonly NpgsqlConnection _connection;

    private PostgresLockSession(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Opens the dedicated session; throws (an <see cref="NpgsqlException"/>) when the server cannot be reached.</summary>
    public static async Task<ILockSession> OpenAsync(string connectionString, string replica, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(SessionConnectionString(connectionString, replica).ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);

            // Set after the connect, not in the startup options: a server before 14 refuses an unknown setting there,
            // and no replica could ever lead.
            if (IdleSessionTimeout(connection.PostgreSqlVersion) is { } set)
            {
                await using var command = new NpgsqlCommand(set, connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return new PostgresLockSession(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The dedicated session's settings over the configured connection string.</summary>
    internal static NpgsqlConnectionStringBuilder SessionConnectionString(string connectionString, string replica)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"dnsbridge-leader:{replica}",
            Timeout = 3,
            // A ping slower than this breaks the connection (and frees the lock); the election itself gives up at its lease.
            CommandTimeout = (int)LeaderElection.LeaseTimeout.TotalSeconds + 2,
            CancellationTimeout = 500,
            TcpKeepAlive = true,

            // No client-side keepalive: its pings would also keep the server's idle timeout from ending a session whose
            // election loop is stuck. The loop's own ping every second is what keeps a healthy session alive.
            KeepAlive = 0,
        };
        builder.Options = string.Join(' ', new[] { builder.Options, "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3" }
            .Where(o => !string.IsNullOrWhiteSpace(o)));
        PostgresConnectionString.DisableGssEncryptionUnlessSet(builder);
        return builder;
    }

    public async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", _connection);
        command.Parameters.AddWithValue("key", LeaderKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The statement that makes the server end this session after <see cref="ServerIdleTimeout"/> without a command
    /// (a leader whose loop is stuck frees the lock), or null before PostgreSQL 14, which has no such setting: there
    /// only TCP keepalives (about 11 s) free the lock of a vanished leader, and a stuck one keeps it until it is stopped.
    /// </summary>
    public static string? IdleSessionTimeout(Version server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Major >= 14 ? $"SET idle_session_timeout = '{(int)ServerIdleTimeout.TotalSeconds}s'" : null;
    }

    /// <summary>Longer than <see cref="LeaderElection.LeaseTimeout"/>: the server never ends a session its leader still counts on.</summary>
    public static readonly TimeSpan ServerIdleTimeout = TimeSpan.FromSeconds(15);

    public async Task<long> TakeOfficeAsync(string replica, CancellationToken cancellationToken)
    {
        // The row lock this takes waits for a deposed leader's write still in flight (it holds the row FOR SHARE): that
        // write commits first and is seen by this leader's first read, or it finds the new term and is refused.
        await using var command = new NpgsqlCommand("""
            INSERT INTO cluster_leader (id, replica, term, since) VALUES (1, @r, 1, now())
            ON CONFLICT (id) DO UPDATE SET replica = EXCLUDED.replica, term = cluster_leader.term + 1, since = EXCLUDED.since
            RETURNING term
            """, _connection);
        command.Parameters.AddWithValue("r", replica);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> PingAsync(long term, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT term FROM cluster_leader WHERE id = 1", _connection);
        return await command.ExecuteScalarAsync(cancellationToken) is long recorded && recorded == term;
    }

    /// <summary>Closes the session: the server frees the lock with it.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
