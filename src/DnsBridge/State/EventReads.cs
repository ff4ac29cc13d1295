using System.Data.Common;
using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>The event log's and the outbox's reads, one SQL text for both providers (<see cref="StateDialect"/> for what differs).</summary>
internal static class EventReads
{
    /// <summary>The columns <see cref="Deliveries"/> maps, from outbox <c>o</c> joined to events <c>e</c>.</summary>
    public const string DeliveryColumns = "o.event_id, o.receiver, o.attempts, e.cutover, e.event, e.at, e.text, e.fields";

    public static List<CutoverEvent> Events(DbConnection c, StateDialect d, string? cutover, int limit)
    {
        var filter = cutover is null ? "" : "WHERE cutover = @c ";
        var list = c.ReadList($"SELECT id, cutover, event, at, text, fields FROM events {filter}ORDER BY at DESC, {d.InsertionOrder} DESC LIMIT @l",
            r => new CutoverEvent(r.GetString(0), r.GetString(1), r.GetString(2), d.ReadTime(r, 3), r.GetString(4), r.NullableString(5)),
            ("c", cutover ?? ""), ("l", limit));
        list.Reverse();
        return list;
    }

    public static List<OutboxRow> Outbox(DbConnection c, StateDialect d, string eventId) =>
        c.ReadList($"SELECT receiver, attempts, last_error, delivered_at, failed_at FROM outbox WHERE event_id = @id ORDER BY {d.InsertionOrder}",
            r => new OutboxRow(r.GetString(0), r.GetInt32(1), r.NullableString(2), d.ReadNullableTime(r, 3), d.ReadNullableTime(r, 4)),
            ("id", eventId));

    /// <summary>Maps the rows of a query selecting <see cref="DeliveryColumns"/>.</summary>
    public static List<Delivery> Deliveries(DbCommand command, StateDialect d) => command.ReadList(r =>
        new Delivery(r.GetString(0), r.GetString(1), r.GetInt32(2),
            new CutoverEvent(r.GetString(0), r.GetString(3), r.GetString(4), d.ReadTime(r, 5), r.GetString(6), r.NullableString(7))));

    public static List<PendingAlert> PendingAlerts(DbConnection c, StateDialect d, string cutover) => c.ReadList($"""
        SELECT e.event, e.id, o.receiver, o.attempts, o.last_error, o.failed_at IS NOT NULL, e.at, o.next_attempt_at FROM outbox o JOIN events e ON e.id = o.event_id
        WHERE e.cutover = @c AND o.delivered_at IS NULL ORDER BY e.at, o.{d.InsertionOrder}
        """,
        r => new PendingAlert(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.NullableString(4), r.GetBoolean(5), d.ReadTime(r, 6), d.ReadTime(r, 7)),
        ("c", cutover));

    public static OutboxBacklog Backlog(DbConnection c, StateDialect d)
    {
        var rows = c.ReadList("""
            SELECT e.event, count(*), MIN(e.at) FROM outbox o JOIN events e ON e.id = o.event_id
            WHERE o.delivered_at IS NULL AND o.failed_at IS NULL GROUP BY e.event
            """, r => (Event: r.GetString(0), Count: (int)r.GetInt64(1), Oldest: d.ReadTime(r, 2)));
        var byEvent = new Dictionary<string, int>(StringComparer.Ordinal);
        DateTimeOffset? oldest = null;
        foreach (var (name, count, at) in rows)
        {
            byEvent[name] = count;
            oldest = oldest is null || at < oldest ? at : oldest;
        }

        return new OutboxBacklog(byEvent, oldest);
    }
}
