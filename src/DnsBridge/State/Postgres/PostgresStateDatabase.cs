using DnsBridge.Configuration;
using Npgsql;

namespace DnsBridge.State.Postgres;

/// <summary>
/// The shared PostgreSQL database behind the PostgreSQL stores (cluster mode): one pooled <see cref="NpgsqlDataSource"/>
/// for every store, the schema migrated at start under an advisory lock so replicas starting together on an empty
/// database apply each step once. Like the SQLite store, a failed write is logged once and reported by
/// <see cref="Problem"/>, never thrown (forwarding must not stop because the database is down), and a failed read is a
/// <see cref="StateStoreException"/>. The connection string is a secret: only <see cref="Location"/> (host, port,
/// database) is ever shown.
/// </summary>
internal sealed partial class PostgresStateDatabase : IStateDatabase, IDisposable
{
    /// <summary>
    /// The advisory lock (<c>pg_advisory_xact_lock</c>) every migration step is applied under. Other advisory locks of
    /// DnsBridge (leadership) must use other keys.
    /// </summary>
    public const long MigrationLockKey = 0x646e_7362_0001; // "dnsb" + 1

    private readonly ILogger<PostgresStateDatabase> _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateWriteProblem _writes;
    private readonly ILeaderTerm? _fence;
    private long _refusedTerm = -1;
    private volatile bool _disposed;

    public PostgresStateDatabase(StateConfig config, ILogger<PostgresStateDatabase> logger, ILeaderTerm? fence = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _logger = logger;
        _fence = fence;
        if (!PostgresConnectionString.TryParse(config.ConnectionString ?? "", out var builder, out var error))
        {
            throw new StateStoreException($"State:ConnectionString {error}");
        }

        Location = PostgresConnectionString.Describe(builder);
        _writes = new StateWriteProblem(() => LogRecovered(logger, Location), problem => LogWriteFailed(logger, Location, problem));
        _dataSource = new NpgsqlDataSourceBuilder(WithDefaults(builder).ConnectionString).Build();
        try
        {
            Migrate();
        }
        catch (NpgsqlException e)
        {
            _dataSource.Dispose();
            throw new StateStoreException($"State:ConnectionString {Location}: cannot use the database: {e.Message}", e);
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    /// <summary>postgres://host:port/database: never the connection string.</summary>
    public string Location { get; }

    /// <summary>
    /// The pooled data source every store uses (Npgsql pooling, the bounded waits of <see cref="WithDefaults"/>), for
    /// cluster code that needs its own statements (a dedicated connection for an advisory lock, replica rows).
    /// Disposed with this database.
    /// </summary>
    public NpgsqlDataSource DataSource => _dataSource;

    public string? Problem() => _writes.Current;

    /// <summary>The schema version the database is at (the highest migration applied; 0 before any).</summary>
    public int SchemaVersion() => Read(c => CurrentVersion(c, null));

    /// <summary>
    /// Bounded waits unless the connection string sets them: 5 s to connect, 10 s per command, 2 s for a row or
    /// table lock held elsewhere. A write that cannot finish fails (and is kept in memory by its caller) instead of
    /// stalling the drain detector's tick. The application name tells DnsBridge's sessions apart in pg_stat_activity.
    /// No GSS encryption attempt (<see cref="PostgresConnectionString.DisableGssEncryptionUnlessSet"/>).
    /// </summary>
    internal static NpgsqlConnectionStringBuilder WithDefaults(NpgsqlConnectionStringBuilder given)
    {
        var b = new NpgsqlConnectionStringBuilder(given.ConnectionString);
        var defaults = new NpgsqlConnectionStringBuilder();
        if (b.Timeout == defaults.Timeout)
        {
            b.Timeout = 5;
        }

        if (b.CommandTimeout == defaults.CommandTimeout)
        {
            b.CommandTimeout = 10;
        }

        if (b.Options?.Contains("lock_timeout", StringComparison.Ordinal) != true)
        {
            b.Options = $"{b.Options} -c lock_timeout=2000".Trim();
        }

        b.ApplicationName ??= "dnsbridge";
        PostgresConnectionString.DisableGssEncryptionUnlessSet(b);
        return b;
    }

    /// <summary>
    /// Runs a write on a pooled connection; a failure (unreachable, locked, read-only) is logged once and reported by
    /// <see cref="Problem"/>, never thrown. A session the server ended while it sat in the pool (a restart, a
    /// failover) is retried once on a fresh one: the server ended it without committing anything of this write.
    /// </summary>
    internal bool Write(Action<NpgsqlConnection> write)
    {
        if (_disposed)
        {
            return _writes.Closed();
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using (var connection = _dataSource.OpenConnection())
                {
                    write(connection);
                }

                return _writes.Succeeded();
            }
            catch (NpgsqlException e) when (attempt == 0 && Ended(e))
            {
                _dataSource.Clear();
            }
            catch (Exception e) when (e is NpgsqlException or ObjectDisposedException)
            {
                // The other idle sessions are as dead as this one was likely to be: the next write opens fresh ones.
                _dataSource.Clear();
                return _writes.Failed(e.Message);
            }
        }
    }

    /// <summary>
    /// A leader's write: in one transaction that first holds the leadership row (FOR SHARE) and checks that the term
    /// this replica took office under is still the recorded one. A new leader's taking office waits for this
    /// transaction, so its first read sees the write, or the write finds the new term and is refused (false, nothing
    /// written, not a database problem). Without a fence (SQLite's single replica, tools, tests) it is a plain write.
    /// </summary>
    internal bool WriteAsLeader(Action<NpgsqlConnection, NpgsqlTransaction> write)
    {
        if (_fence is null)
        {
            return Write(c =>
            {
                using var transaction = c.BeginTransaction();
                write(c, transaction);
                transaction.Commit();
            });
        }

        if (_fence.Term is not { } term)
        {
            return false;
        }

        var refused = false;
        var written = Write(c =>
        {
            using var transaction = c.BeginTransaction();
            using (var check = new NpgsqlCommand("SELECT term FROM cluster_leader WHERE id = 1 FOR SHARE", c, transaction))
            {
                if (check.ExecuteScalar() is not long recorded || recorded != term)
                {
                    refused = true;
                    return;
                }
            }

            write(c, transaction);
            transaction.Commit();
        });
        if (refused)
        {
            if (Interlocked.Exchange(ref _refusedTerm, term) != term)
            {
                LogDeposed(_logger, Location, term);
            }

            return false;
        }

        return written;
    }

    /// <summary>
    /// Runs a read; a failure is thrown as <see cref="StateStoreException"/>, which names no Npgsql type. A session
    /// ended by the server or another transient failure is tried once more on a fresh connection.
    /// </summary>
    internal T Read<T>(Func<NpgsqlConnection, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var connection = _dataSource.OpenConnection();
                return read(connection);
            }
            catch (NpgsqlException e) when (attempt == 0 && (Ended(e) || e.IsTransient))
            {
                _dataSource.Clear();
            }
            catch (NpgsqlException e)
            {
                throw new StateStoreException($"State:ConnectionString {Location}: cannot read: {e.Message}", e);
            }
        }
    }

    // 57P01 admin_shutdown, 57P02 crash_shutdown: the server ended the session (and rolled back whatever it had open).
    private static bool Ended(NpgsqlException e) => e is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown };

    /// <summary>
    /// Brings the schema to <see cref="PostgresMigration.Latest"/>, one step per transaction; each step takes the
    /// migration lock and re-reads the version first, so of several replicas starting at once on an empty database
    /// one applies the step and the others find it done.
    /// </summary>
    private void Migrate()
    {
        using var connection = _dataSource.OpenConnection();
        var found = CurrentVersion(connection, null);
        if (found > PostgresMigration.Latest)
        {
            throw new StateStoreException($"State:ConnectionString {Location}: the database is at schema version {found}, newer than this dnsbridge knows " +
                $"(up to {PostgresMigration.Latest}); it was written by a newer release: run that release (every replica), or restore a backup made with this one");
        }

        foreach (var migration in PostgresMigration.All)
        {
            using var transaction = connection.BeginTransaction();

            // The 2 s lock_timeout of ordinary writes would fail a replica that waits while another applies a step.
            using (var lockCommand = new NpgsqlCommand("SET LOCAL lock_timeout = '60s'; SELECT pg_advisory_xact_lock(@k)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("k", MigrationLockKey);
                lockCommand.ExecuteNonQuery();
            }

            using (var table = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                connection, transaction))
            {
                table.ExecuteNonQuery();
            }

            if (CurrentVersion(connection, transaction) >= migration.Version)
            {
                transaction.Commit();
                continue;
            }

            using (var step = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                step.ExecuteNonQuery();
            }

            using (var record = new NpgsqlCommand("INSERT INTO schema_version (version, description) VALUES (@v, @d)", connection, transaction))
            {
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("d", migration.Description);
                record.ExecuteNonQuery();
            }

            transaction.Commit();
            LogMigrated(_logger, Location, migration.Version, migration.Description);
        }
    }

    private static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", connection, transaction);
        if (!(bool)command.ExecuteScalar()!)
        {
            return 0;
        }

        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return (int)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _disposed = true;
        _dataSource.Dispose();
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Error, Message = "State store {Location}: write failed, state is not being persisted (forwarding goes on): {Problem}")]
    private static partial void LogWriteFailed(ILogger logger, string location, string problem);

    [LoggerMessage(EventId = 611, Level = LogLevel.Information, Message = "State store {Location}: writes succeed again")]
    private static partial void LogRecovered(ILogger logger, string location);

    [LoggerMessage(EventId = 613, Level = LogLevel.Warning, Message = "State store {Location}: a write of this replica as leader (term {Term}) was refused: another replica took office since; its decisions stand")]
    private static partial void LogDeposed(ILogger logger, string location, long term);

    [LoggerMessage(EventId = 612, Level = LogLevel.Information, Message = "State store {Location}: schema at version {Version} ({Description})")]
    private static partial void LogMigrated(ILogger logger, string location, int version, string description);
}
