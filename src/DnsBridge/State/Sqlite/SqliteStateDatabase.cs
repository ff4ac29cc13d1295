using DnsBridge.Configuration;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State.Sqlite;

/// <summary>
/// The embedded SQLite file (WAL) behind the SQLite stores: opened, checked and migrated at start, then one
/// connection for writes and one for reads, each behind its own lock, shared by every store. WAL lets reads go on
/// while a write waits for a lock held elsewhere (a backup, a second process), so the API never waits out the
/// writer's busy timeout. A failed write is logged once and reported by <see cref="Problem"/>, never thrown: the
/// forwarder must not stop because the disk is full.
/// </summary>
internal sealed partial class SqliteStateDatabase : IStateDatabase, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly Lock _gate = new();
    private readonly Lock _readGate = new();
    private readonly ILogger<SqliteStateDatabase> _logger;
    private readonly StateWriteProblem _writes;
    private volatile bool _disposed;

    public SqliteStateDatabase(StateConfig config, ILogger<SqliteStateDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        _logger = logger;
        Location = Path.GetFullPath(config.Path);
        _writes = new StateWriteProblem(() => LogRecovered(logger, Location), problem => LogWriteFailed(logger, Location, problem));
        try
        {
            var directory = Path.GetDirectoryName(Location)!;
            if (!Directory.Exists(directory))
            {
                throw new StateStoreException($"State:Path {Location}: directory {directory} does not exist");
            }

            // Short waits on a lock held elsewhere (a backup, a second replica pointed at the same file by mistake): after
            // 2 s the write fails, readiness reports it, and the counts stay in memory for the next write.
            var connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = Location,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = 2,
            }.ToString();
            _connection = new SqliteConnection(connectionString);
            _reader = new SqliteConnection(connectionString);
            try
            {
                _connection.Open();
                Execute(_connection, "PRAGMA journal_mode=WAL;");
                Execute(_connection, "PRAGMA synchronous=NORMAL;");
                Execute(_connection, "PRAGMA busy_timeout=2000;");
                QuickCheck();
                Migrate();
                _reader.Open();
                Execute(_reader, "PRAGMA busy_timeout=2000;");
                Execute(_reader, "PRAGMA query_only=1;");
            }
            catch
            {
                // A refused file must not stay open: preflight reports it and goes on in the same process.
                _connection.Dispose();
                _reader.Dispose();
                throw;
            }
        }
        catch (SqliteException e)
        {
            throw new StateStoreException($"State:Path {Location}: cannot use the database: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StateStoreException($"State:Path {Location}: not writable: {e.Message}", e);
        }
    }

    /// <summary>The database file's full path.</summary>
    public string Location { get; }

    public string? Problem() => _writes.Current;

    /// <summary>The schema version the database is at (the highest migration applied; 0 before any).</summary>
    public int SchemaVersion() => Read(c => CurrentVersion(c, null));

    /// <summary>Runs a write; a failure (read-only or full disk, locked) is logged and reported by <see cref="Problem"/>, never thrown at the caller.</summary>
    internal bool Write(Action<SqliteConnection> write)
    {
        lock (_gate)
        {
            // Something still running on the way out (a last tick) finds the store closed: a failed write, not a crash.
            if (_disposed)
            {
                return _writes.Closed();
            }

            try
            {
                write(_connection);
                return _writes.Succeeded();
            }
            catch (SqliteException e)
            {
                return _writes.Failed(e.Message);
            }
        }
    }

    /// <summary>Runs a read; a failure is thrown as <see cref="StateStoreException"/>, which names no SQLite type, so callers stay storage-neutral.</summary>
    internal T Read<T>(Func<SqliteConnection, T> read)
    {
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return read(_reader);
            }
            catch (SqliteException e)
            {
                throw new StateStoreException($"State:Path {Location}: cannot read: {e.Message}", e);
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void QuickCheck()
    {
        using var check = _connection.CreateCommand();
        check.CommandText = "PRAGMA quick_check;";
        var result = check.ExecuteScalar() as string;
        if (result != "ok")
        {
            throw new StateStoreException($"State:Path {Location}: the database is damaged ({result}); move it aside to start fresh or restore a backup");
        }
    }

    /// <summary>
    /// Brings the schema to <see cref="SqliteMigration.Latest"/>. Each step re-reads the version inside its own
    /// (immediate, so write-locked) transaction: a <c>preflight</c> opening the file while <c>serve</c> starts applies
    /// nothing twice.
    /// </summary>
    private void Migrate()
    {
        var found = CurrentVersion(_connection, null);
        if (found > SqliteMigration.Latest)
        {
            throw new StateStoreException($"State:Path {Location}: the database is at schema version {found}, newer than this dnsbridge knows " +
                $"(up to {SqliteMigration.Latest}); it was written by a newer release: run that release, or restore a backup made with this one");
        }

        foreach (var migration in SqliteMigration.All)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            if (CurrentVersion(_connection, transaction) >= migration.Version)
            {
                continue;
            }

            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"""
                {migration.Sql}
                CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
                INSERT INTO schema_version (version, description, applied_at) VALUES ($v, $d, $at);
                """;
            command.Parameters.AddWithValue("$v", migration.Version);
            command.Parameters.AddWithValue("$d", migration.Description);
            command.Parameters.AddWithValue("$at", SqliteTime.Iso(DateTimeOffset.UtcNow));
            command.ExecuteNonQuery();
            transaction.Commit();
            LogMigrated(_logger, Location, migration.Version, migration.Description);
        }
    }

    private static int CurrentVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            return 0;
        }

        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return (int)(long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _connection.Dispose();
        }

        lock (_readGate)
        {
            _reader.Dispose();
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Error, Message = "State store {Path}: write failed, state is not being persisted (forwarding goes on): {Problem}")]
    private static partial void LogWriteFailed(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "State store {Path}: writes succeed again")]
    private static partial void LogRecovered(ILogger logger, string path);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "State store {Path}: schema at version {Version} ({Description})")]
    private static partial void LogMigrated(ILogger logger, string path, int version, string description);
}
