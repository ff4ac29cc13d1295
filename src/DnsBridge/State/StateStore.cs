using System.Globalization;
using System.Text.Json;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.Hosting;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State;

/// <summary>A state store that cannot be opened or used: <c>serve</c> ends with a clear message and exit 2.</summary>
public sealed class StateStoreException(string message, Exception? inner = null) : Exception(message, inner)
{
    public StateStoreException()
        : this("state store error")
    {
    }

    public StateStoreException(string message)
        : this(message, null)
    {
    }
}

/// <summary>
/// The embedded SQLite state (WAL): each cutover's drain status, the event log, the alert outbox, per-minute
/// residual buckets and the propagation history. Events and their outbox rows are written in one transaction
/// before anything is delivered, so a crash loses none and repeats none. Nothing here runs on the request path.
/// </summary>
public sealed partial class StateStore : IReadinessCheck, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly ILogger<StateStore> _logger;
    private string? _problem;

    public StateStore(StateConfig config, ILogger<StateStore> logger)
    {
        _logger = logger;
        Path = System.IO.Path.GetFullPath(config.Path);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(Path)!;
            if (!Directory.Exists(directory))
            {
                throw new StateStoreException($"State:Path {Path}: directory {directory} does not exist");
            }

            // Short waits on a lock held elsewhere (a backup, a second replica pointed at the same file by mistake): after
            // 2 s the write fails, readiness reports it, and the counts stay in memory for the next write.
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = 2,
            }.ToString());
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=NORMAL;");
            Execute("PRAGMA busy_timeout=2000;");
            using (var check = _connection.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check;";
                var result = check.ExecuteScalar() as string;
                if (result != "ok")
                {
                    throw new StateStoreException($"State:Path {Path}: the database is damaged ({result}); move it aside to start fresh or restore a backup");
                }
            }

            Execute("""
                CREATE TABLE IF NOT EXISTS cutover_state (name TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, cutover TEXT NOT NULL, event TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS events_cutover ON events (cutover, at);
                CREATE TABLE IF NOT EXISTS outbox (event_id TEXT NOT NULL, receiver TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at TEXT NOT NULL, delivered_at TEXT, failed_at TEXT, last_error TEXT, PRIMARY KEY (event_id, receiver));
                CREATE TABLE IF NOT EXISTS residual_minutes (cutover TEXT NOT NULL, minute INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (cutover, minute));
                CREATE TABLE IF NOT EXISTS propagation_changes (cutover TEXT NOT NULL, resolver TEXT NOT NULL, at TEXT NOT NULL, answer TEXT NOT NULL, addresses TEXT NOT NULL, ttl INTEGER);
                CREATE INDEX IF NOT EXISTS propagation_changes_cutover ON propagation_changes (cutover, at);
                """);
        }
        catch (SqliteException e)
        {
            throw new StateStoreException($"State:Path {Path}: cannot use the database: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StateStoreException($"State:Path {Path}: not writable: {e.Message}", e);
        }
    }

    public string Path { get; }

    public string Name => "state store";

    public string? Problem() => _problem;

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a write; a failure (read-only or full disk) is logged and reported by readiness, never thrown at the caller.</summary>
    private bool Write(Action<SqliteConnection> write)
    {
        lock (_gate)
        {
            try
            {
                write(_connection);
                if (_problem is not null)
                {
                    LogRecovered(_logger, Path);
                }

                _problem = null;
                return true;
            }
            catch (SqliteException e)
            {
                if (_problem is null)
                {
                    LogWriteFailed(_logger, Path, e.Message);
                }

                _problem = $"write failed: {e.Message}";
                return false;
            }
        }
    }

    private T Read<T>(Func<SqliteConnection, T> read)
    {
        lock (_gate)
        {
            return read(_connection);
        }
    }

    public Dictionary<string, DrainStatus> LoadStatuses() => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT name, status FROM cutover_state";
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, DrainStatus>(StringComparer.Ordinal);
        while (reader.Read())
        {
            result[reader.GetString(0)] = JsonSerializer.Deserialize<DrainStatus>(reader.GetString(1), Json)!;
        }

        return result;
    });

    public bool SaveStatus(string cutover, DrainStatus status, DateTimeOffset now) => Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO cutover_state (name, status, updated_at) VALUES ($n, $s, $u) ON CONFLICT(name) DO UPDATE SET status = $s, updated_at = $u";
        command.Parameters.AddWithValue("$n", cutover);
        command.Parameters.AddWithValue("$s", JsonSerializer.Serialize(status, Json));
        command.Parameters.AddWithValue("$u", Iso(now));
        command.ExecuteNonQuery();
    });

    /// <summary>Writes an event, its new status, and one outbox row per receiver, in one transaction.</summary>
    public bool AppendEvent(CutoverEvent e, DrainStatus status, IEnumerable<string> receivers, DateTimeOffset now) => Write(c =>
    {
        using var transaction = c.BeginTransaction();
        InsertEvent(c, transaction, e, receivers, now, "INSERT OR IGNORE");
        using (var state = c.CreateCommand())
        {
            state.Transaction = transaction;
            state.CommandText = "INSERT INTO cutover_state (name, status, updated_at) VALUES ($n, $s, $u) ON CONFLICT(name) DO UPDATE SET status = $s, updated_at = $u";
            state.Parameters.AddWithValue("$n", e.Cutover);
            state.Parameters.AddWithValue("$s", JsonSerializer.Serialize(status, Json));
            state.Parameters.AddWithValue("$u", Iso(now));
            state.ExecuteNonQuery();
        }

        transaction.Commit();
    });

    /// <summary>Writes a test event and its outbox rows, leaving every cutover's status alone.</summary>
    public bool AppendTestEvent(CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now) => Write(c =>
    {
        using var transaction = c.BeginTransaction();
        InsertEvent(c, transaction, e, receivers, now, "INSERT");
        transaction.Commit();
    });

    // Replays of a drain event (after a restart) are ignored; a test event is new by construction.
    private static void InsertEvent(SqliteConnection c, SqliteTransaction transaction, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now, string insert)
    {
        using (var command = c.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"{insert} INTO events (id, cutover, event, at, text) VALUES ($id, $c, $e, $at, $t)";
            command.Parameters.AddWithValue("$id", e.Id);
            command.Parameters.AddWithValue("$c", e.Cutover);
            command.Parameters.AddWithValue("$e", e.Event);
            command.Parameters.AddWithValue("$at", Iso(e.At));
            command.Parameters.AddWithValue("$t", e.Text);
            command.ExecuteNonQuery();
        }

        foreach (var receiver in receivers)
        {
            using var outbox = c.CreateCommand();
            outbox.Transaction = transaction;
            outbox.CommandText = $"{insert} INTO outbox (event_id, receiver, next_attempt_at) VALUES ($id, $r, $next)";
            outbox.Parameters.AddWithValue("$id", e.Id);
            outbox.Parameters.AddWithValue("$r", receiver);
            outbox.Parameters.AddWithValue("$next", Iso(now));
            outbox.ExecuteNonQuery();
        }
    }

    public sealed record OutboxRow(string Receiver, int Attempts, string? LastError, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt);

    /// <summary>The delivery of one event to each receiver.</summary>
    public IReadOnlyList<OutboxRow> Outbox(string eventId) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT receiver, attempts, last_error, delivered_at, failed_at FROM outbox WHERE event_id = $id ORDER BY rowid";
        command.Parameters.AddWithValue("$id", eventId);
        using var reader = command.ExecuteReader();
        var list = new List<OutboxRow>();
        while (reader.Read())
        {
            list.Add(new OutboxRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : Parse(reader.GetString(3)), reader.IsDBNull(4) ? null : Parse(reader.GetString(4))));
        }

        return list;
    });

    public IReadOnlyList<CutoverEvent> Events(string? cutover, int limit = 200) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = cutover is null
            ? "SELECT id, cutover, event, at, text FROM events ORDER BY at DESC, rowid DESC LIMIT $l"
            : "SELECT id, cutover, event, at, text FROM events WHERE cutover = $c ORDER BY at DESC, rowid DESC LIMIT $l";
        command.Parameters.AddWithValue("$c", cutover ?? "");
        command.Parameters.AddWithValue("$l", limit);
        using var reader = command.ExecuteReader();
        var list = new List<CutoverEvent>();
        while (reader.Read())
        {
            list.Add(new CutoverEvent(reader.GetString(0), reader.GetString(1), reader.GetString(2), Parse(reader.GetString(3)), reader.GetString(4)));
        }

        list.Reverse();
        return list;
    });

    public bool AddResidualMinutes(IEnumerable<(string Cutover, long Minute, long Count)> buckets) => Write(c =>
    {
        using var transaction = c.BeginTransaction();
        foreach (var (cutover, minute, count) in buckets)
        {
            using var command = c.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO residual_minutes (cutover, minute, count) VALUES ($c, $m, $n) ON CONFLICT(cutover, minute) DO UPDATE SET count = count + $n";
            command.Parameters.AddWithValue("$c", cutover);
            command.Parameters.AddWithValue("$m", minute);
            command.Parameters.AddWithValue("$n", count);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    });

    public IReadOnlyList<(DateTimeOffset Minute, long Count)> ResidualMinutes(string cutover) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT minute, count FROM residual_minutes WHERE cutover = $c ORDER BY minute";
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<(DateTimeOffset, long)>();
        while (reader.Read())
        {
            list.Add((DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(0) * 60), reader.GetInt64(1)));
        }

        return list;
    });

    public bool AddPropagationChange(string cutover, string resolver, DateTimeOffset at, string answer, IReadOnlyList<string> addresses, int? ttl) => Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO propagation_changes (cutover, resolver, at, answer, addresses, ttl) VALUES ($c, $r, $at, $a, $ad, $t)";
        command.Parameters.AddWithValue("$c", cutover);
        command.Parameters.AddWithValue("$r", resolver);
        command.Parameters.AddWithValue("$at", Iso(at));
        command.Parameters.AddWithValue("$a", answer);
        command.Parameters.AddWithValue("$ad", string.Join(',', addresses));
        command.Parameters.AddWithValue("$t", ttl is null ? DBNull.Value : ttl.Value);
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<(string Resolver, DateTimeOffset At, string Answer, string Addresses)> PropagationChanges(string cutover) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT resolver, at, answer, addresses FROM propagation_changes WHERE cutover = $c ORDER BY at";
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<(string, DateTimeOffset, string, string)>();
        while (reader.Read())
        {
            list.Add((reader.GetString(0), Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3)));
        }

        return list;
    });

    public sealed record Delivery(string EventId, string Receiver, int Attempts, CutoverEvent Event);

    public IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT o.event_id, o.receiver, o.attempts, e.cutover, e.event, e.at, e.text FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $now ORDER BY o.next_attempt_at LIMIT $l
            """;
        command.Parameters.AddWithValue("$now", Iso(now));
        command.Parameters.AddWithValue("$l", limit);
        using var reader = command.ExecuteReader();
        var list = new List<Delivery>();
        while (reader.Read())
        {
            list.Add(new Delivery(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                new CutoverEvent(reader.GetString(0), reader.GetString(3), reader.GetString(4), Parse(reader.GetString(5)), reader.GetString(6))));
        }

        return list;
    });

    public bool MarkDelivered(string eventId, string receiver, DateTimeOffset at) =>
        UpdateOutbox(eventId, receiver, "delivered_at = $at, attempts = attempts + 1, last_error = NULL", at, null);

    public bool MarkRetry(string eventId, string receiver, DateTimeOffset next, string error) =>
        UpdateOutbox(eventId, receiver, "attempts = attempts + 1, next_attempt_at = $at, last_error = $err", next, error);

    public bool MarkFailed(string eventId, string receiver, DateTimeOffset at, string error) =>
        UpdateOutbox(eventId, receiver, "attempts = attempts + 1, failed_at = $at, last_error = $err", at, error);

    /// <summary>Stops retrying without counting another attempt (a test alert is tried once).</summary>
    public bool GiveUp(string eventId, string receiver, DateTimeOffset at) =>
        UpdateOutbox(eventId, receiver, "failed_at = $at", at, null);

    private bool UpdateOutbox(string eventId, string receiver, string set, DateTimeOffset at, string? error) => Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = $"UPDATE outbox SET {set} WHERE event_id = $id AND receiver = $r";
        command.Parameters.AddWithValue("$id", eventId);
        command.Parameters.AddWithValue("$r", receiver);
        command.Parameters.AddWithValue("$at", Iso(at));
        command.Parameters.AddWithValue("$err", (object?)error ?? DBNull.Value);
        command.ExecuteNonQuery();
    });

    /// <summary>Outbox rows not delivered yet (pending or being retried), per event, for a cutover.</summary>
    public IReadOnlyList<(string Event, string Id, int Attempts, string? LastError, bool Failed)> PendingAlerts(string cutover) => Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT e.event, e.id, o.attempts, o.last_error, o.failed_at IS NOT NULL FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE e.cutover = $c AND o.delivered_at IS NULL ORDER BY e.at
            """;
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<(string, string, int, string?, bool)>();
        while (reader.Read())
        {
            list.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4)));
        }

        return list;
    });

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string at) => DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Error, Message = "State store {Path}: write failed, state is not being persisted (forwarding goes on): {Problem}")]
    private static partial void LogWriteFailed(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "State store {Path}: writes succeed again")]
    private static partial void LogRecovered(ILogger logger, string path);
}
