using System.Data.Common;
using DnsBridge.Events;
using Microsoft.Data.Sqlite;

namespace DnsBridge.State.Sqlite;

/// <summary>The event log and the alert outbox (one row per event and receiver), in the same file as the statuses.</summary>
internal sealed class SqliteEventStore(SqliteStateDatabase database) : SqlEventStore(SqliteDialect.Instance), IEventStore
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
        c.Execute(transaction, $"{insert} INTO events (id, cutover, event, at, text, fields) VALUES (@id, @c, @e, @at, @t, @f)",
            ("id", e.Id), ("c", e.Cutover), ("e", e.Event), ("at", SqliteTime.Iso(e.At)), ("t", e.Text), ("f", e.Fields));
        foreach (var receiver in receivers)
        {
            c.Execute(transaction, $"{insert} INTO outbox (event_id, receiver, next_attempt_at, failed_at) VALUES (@id, @r, @next, @closed)",
                ("id", e.Id), ("r", receiver), ("next", SqliteTime.Iso(now)), ("closed", tryOnce ? SqliteTime.Iso(now) : null));
        }
    }

    public IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50) => database.Read(c =>
    {
        using var command = c.Command($"""
            SELECT {EventReads.DeliveryColumns} FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= @now ORDER BY o.next_attempt_at LIMIT @l
            """, ("now", SqliteTime.Iso(now)), ("l", limit));
        return EventReads.Deliveries(command, SqliteDialect.Instance);
    });

    // One process owns a SQLite file (a second one is refused by the write lock), so there is nobody to claim against.
    public IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, string claimant, DateTimeOffset leaseUntil, int limit = 50) => DueDeliveries(now, limit);

    private protected override T Read<T>(Func<DbConnection, T> read) => database.Read(read);

    private protected override bool Update(string eventId, string receiver, string set, DateTimeOffset at, string? error, bool claimed) => database.Write(c =>
        c.Execute(null, $"UPDATE outbox SET {set} WHERE event_id = @id AND receiver = @r", ("id", eventId), ("r", receiver), ("at", SqliteTime.Iso(at)), ("err", error)));
}
