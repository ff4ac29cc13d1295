using DnsBridge.Events;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State.Sqlite;

/// <summary>The event log and the alert outbox (one row per event and receiver), in the same file as the statuses.</summary>
public sealed class SqliteEventStore(SqliteStateDatabase database) : IEventStore
{
    public bool Append(CutoverEvent e, DrainStatus? status, IEnumerable<string> receivers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        return database.Write(c =>
        {
            using var transaction = c.BeginTransaction();
            Insert(c, transaction, e, receivers, now, "INSERT OR IGNORE");
            if (status is not null)
            {
                SqliteCutoverStatusStore.Upsert(c, transaction, e.Cutover, status, now);
            }

            transaction.Commit();
        });
    }

    public bool AppendTest(CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        Insert(c, transaction, e, receivers, now, "INSERT", tryOnce: true);
        transaction.Commit();
    });

    // Replays of a drain event (after a restart) are ignored; a test event is new by construction. A test event's rows
    // are born closed to retries (failed_at set), so a running serve sharing the file never sends them too: the one
    // attempt is the caller's, which records its outcome.
    internal static void Insert(SqliteConnection c, SqliteTransaction transaction, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now, string insert,
        bool tryOnce = false)
    {
        using (var command = c.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"{insert} INTO events (id, cutover, event, at, text, fields) VALUES ($id, $c, $e, $at, $t, $f)";
            command.Parameters.AddWithValue("$id", e.Id);
            command.Parameters.AddWithValue("$c", e.Cutover);
            command.Parameters.AddWithValue("$e", e.Event);
            command.Parameters.AddWithValue("$at", SqliteTime.Iso(e.At));
            command.Parameters.AddWithValue("$t", e.Text);
            command.Parameters.AddWithValue("$f", (object?)e.Fields ?? DBNull.Value);
            command.ExecuteNonQuery();
        }

        foreach (var receiver in receivers)
        {
            using var outbox = c.CreateCommand();
            outbox.Transaction = transaction;
            outbox.CommandText = $"{insert} INTO outbox (event_id, receiver, next_attempt_at, failed_at) VALUES ($id, $r, $next, $closed)";
            outbox.Parameters.AddWithValue("$id", e.Id);
            outbox.Parameters.AddWithValue("$r", receiver);
            outbox.Parameters.AddWithValue("$next", SqliteTime.Iso(now));
            outbox.Parameters.AddWithValue("$closed", tryOnce ? SqliteTime.Iso(now) : DBNull.Value);
            outbox.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<CutoverEvent> Events(string? cutover, int limit = 200) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = cutover is null
            ? "SELECT id, cutover, event, at, text, fields FROM events ORDER BY at DESC, rowid DESC LIMIT $l"
            : "SELECT id, cutover, event, at, text, fields FROM events WHERE cutover = $c ORDER BY at DESC, rowid DESC LIMIT $l";
        command.Parameters.AddWithValue("$c", cutover ?? "");
        command.Parameters.AddWithValue("$l", limit);
        using var reader = command.ExecuteReader();
        var list = new List<CutoverEvent>();
        while (reader.Read())
        {
            list.Add(new CutoverEvent(reader.GetString(0), reader.GetString(1), reader.GetString(2), SqliteTime.Parse(reader.GetString(3)), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        list.Reverse();
        return list;
    });

    public IReadOnlyList<OutboxRow> Outbox(string eventId) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT receiver, attempts, last_error, delivered_at, failed_at FROM outbox WHERE event_id = $id ORDER BY rowid";
        command.Parameters.AddWithValue("$id", eventId);
        using var reader = command.ExecuteReader();
        var list = new List<OutboxRow>();
        while (reader.Read())
        {
            list.Add(new OutboxRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : SqliteTime.Parse(reader.GetString(3)), reader.IsDBNull(4) ? null : SqliteTime.Parse(reader.GetString(4))));
        }

        return list;
    });

    public IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT o.event_id, o.receiver, o.attempts, e.cutover, e.event, e.at, e.text, e.fields FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $now ORDER BY o.next_attempt_at LIMIT $l
            """;
        command.Parameters.AddWithValue("$now", SqliteTime.Iso(now));
        command.Parameters.AddWithValue("$l", limit);
        using var reader = command.ExecuteReader();
        var list = new List<Delivery>();
        while (reader.Read())
        {
            list.Add(new Delivery(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                new CutoverEvent(reader.GetString(0), reader.GetString(3), reader.GetString(4), SqliteTime.Parse(reader.GetString(5)), reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7))));
        }

        return list;
    });

    // One process owns a SQLite file (a second one is refused by the write lock), so there is nobody to claim against.
    public IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, string claimant, DateTimeOffset leaseUntil, int limit = 50) => DueDeliveries(now, limit);

    public bool MarkDelivered(string eventId, string receiver, DateTimeOffset at) =>
        Update(eventId, receiver, "delivered_at = $at, attempts = attempts + 1, last_error = NULL", at, null);

    public bool MarkRetry(string eventId, string receiver, DateTimeOffset next, string error) =>
        Update(eventId, receiver, "attempts = attempts + 1, next_attempt_at = $at, last_error = $err", next, error);

    public bool MarkFailed(string eventId, string receiver, DateTimeOffset at, string error) =>
        Update(eventId, receiver, "attempts = attempts + 1, failed_at = $at, last_error = $err", at, error);

    public bool GiveUp(string eventId, string receiver, DateTimeOffset at) =>
        Update(eventId, receiver, "failed_at = $at", at, null);

    private bool Update(string eventId, string receiver, string set, DateTimeOffset at, string? error) => database.Write(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = $"UPDATE outbox SET {set} WHERE event_id = $id AND receiver = $r";
        command.Parameters.AddWithValue("$id", eventId);
        command.Parameters.AddWithValue("$r", receiver);
        command.Parameters.AddWithValue("$at", SqliteTime.Iso(at));
        command.Parameters.AddWithValue("$err", (object?)error ?? DBNull.Value);
        command.ExecuteNonQuery();
    });

    public IReadOnlyList<PendingAlert> PendingAlerts(string cutover) => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT e.event, e.id, o.receiver, o.attempts, o.last_error, o.failed_at IS NOT NULL, e.at, o.next_attempt_at FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE e.cutover = $c AND o.delivered_at IS NULL ORDER BY e.at, o.rowid
            """;
        command.Parameters.AddWithValue("$c", cutover);
        using var reader = command.ExecuteReader();
        var list = new List<PendingAlert>();
        while (reader.Read())
        {
            list.Add(new PendingAlert(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetBoolean(5), SqliteTime.Parse(reader.GetString(6)), SqliteTime.Parse(reader.GetString(7))));
        }

        return list;
    });

    public OutboxBacklog Backlog() => database.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT e.event, count(*), MIN(e.at) FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE o.delivered_at IS NULL AND o.failed_at IS NULL GROUP BY e.event
            """;
        using var reader = command.ExecuteReader();
        var byEvent = new Dictionary<string, int>(StringComparer.Ordinal);
        DateTimeOffset? oldest = null;
        while (reader.Read())
        {
            byEvent[reader.GetString(0)] = reader.GetInt32(1);
            var at = SqliteTime.Parse(reader.GetString(2));
            oldest = oldest is null || at < oldest ? at : oldest;
        }

        return new OutboxBacklog(byEvent, oldest);
    });
}
