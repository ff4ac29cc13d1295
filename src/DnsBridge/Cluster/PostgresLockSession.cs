using Npgsql;

namespace DnsBridge.Cluster;

/// <summary>
/// The leadership lock: a PostgreSQL session advisory lock on a connection of its own, never from the pool (a pooled
/// connection keeps its session, and the lock, after it is closed). Tuned so that a dead holder is noticed fast on
/// both sides: every command has a 2 s timeout (a half-dead connection fails the next ping), and the server ends the
/// session (freeing the lock) after 10 s without a command or after failed TCP keepalives (a vanished host).
/// </summary>
public sealed class PostgresLockSession : ILockSession
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
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = $"dnsbridge-leader:{replica}",
            Timeout = 3,
            CommandTimeout = 2,
            CancellationTimeout = 500,
            TcpKeepAlive = true,

            // No client-side keepalive: its pings would also keep the server's idle timeout from ending a session whose
            // election loop is stuck. The loop's own ping every second is what keeps a healthy session alive.
            KeepAlive = 0,
        };
        builder.Options = string.Join(' ', new[] { builder.Options, "-c idle_session_timeout=10s -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3" }
            .Where(o => !string.IsNullOrWhiteSpace(o)));
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return new PostgresLockSession(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> TryLockAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", _connection);
        command.Parameters.AddWithValue("key", LeaderKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT 1", _connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Closes the session: the server frees the lock with it.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
