using System.Data.Common;
using DnsBridge.Events;
using Npgsql;
using NpgsqlTypes;

namespace DnsBridge.State.Postgres;

/// <summary>
/// The event log and the alert outbox (one row per event and receiver) in the shared database. Outbox rows carry a
/// claim (<c>claimed_by</c>, <c>claimed_until</c>) so that whichever replica dispatches, each row is sent by one at a
/// time (<see cref="ClaimDue"/>).
/// </summary>
internal sealed class PostgresEventStore(PostgresStateDatabase database) : SqlEventStore(PostgresDialect.Instance), IEventStore
{
    // The claimant of this store's last claim: one replica, one name (OutboxDispatcher passes its replica's).
    private volatile string? _claimant;

    private const string Due = "o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= @now AND (o.claimed_until IS NULL OR o.claimed_until <= @now)";

    public bool Append(CutoverEvent e, DrainStatus? status, IEnumerable<string> receivers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        return database.WriteAsLeader((c, transaction) =>
        {
            Insert(c, transaction, e, receivers, now, replay: true);
            if (status is not null)
            {
                PostgresCutoverStatusStore.Upsert(c, transaction, e.Cutover, status, now);
            }
        });
    }

    public bool AppendTest(CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now) => database.Write(c =>
    {
        using var transaction = c.BeginTransaction();
        Insert(c, transaction, e, receivers, now, replay: false, tryOnce: true);
        transaction.Commit();
    });

    // As in SQLite: a replayed drain event (after a restart, or from a new leader) is ignored; a test event is new by
    // construction, and its rows are born closed to retries (failed_at set) so no dispatcher sends them too.
    internal static void Insert(NpgsqlConnection c, NpgsqlTransaction transaction, CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now, bool replay,
        bool tryOnce = false)
    {
        var conflict = replay ? "ON CONFLICT DO NOTHING" : "";
        using (var command = new NpgsqlCommand($"INSERT INTO events (id, cutover, event, at, text, fields) VALUES (@id, @c, @e, @at, @t, @f) {conflict}", c, transaction))
        {
            command.Parameters.AddWithValue("id", e.Id);
            command.Parameters.AddWithValue("c", e.Cutover);
            command.Parameters.AddWithValue("e", e.Event);
            command.Parameters.AddWithValue("at", e.At.ToUniversalTime());
            command.Parameters.AddWithValue("t", e.Text);
            command.Parameters.AddWithValue("f", NpgsqlDbType.Jsonb, (object?)e.Fields ?? DBNull.Value);
            command.ExecuteNonQuery();
        }

        // WITH ORDINALITY keeps the receivers' order in seq, which Outbox() reads back by.
        using var outbox = new NpgsqlCommand($"""
            INSERT INTO outbox (event_id, receiver, next_attempt_at, failed_at)
            SELECT @id, r, @next, @closed FROM unnest(@r::text[]) WITH ORDINALITY AS x (r, n) ORDER BY n {conflict}
            """, c, transaction);
        outbox.Parameters.AddWithValue("id", e.Id);
        outbox.Parameters.AddWithValue("r", receivers.ToArray());
        outbox.Parameters.AddWithValue("next", now.ToUniversalTime());
        outbox.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("closed", tryOnce ? now.ToUniversalTime() : null));
        outbox.ExecuteNonQuery();
    }

    public IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50) => database.Read(c =>
    {
        using var command = new NpgsqlCommand(
            $"SELECT {EventReads.DeliveryColumns} FROM outbox o JOIN events e ON e.id = o.event_id WHERE {Due} ORDER BY o.next_attempt_at, o.seq LIMIT @l", c);
        command.Parameters.AddWithValue("now", now.ToUniversalTime());
        command.Parameters.AddWithValue("l", limit);
        return EventReads.Deliveries(command, PostgresDialect.Instance);
    });

    /// <summary>
    /// One statement: the due rows are locked with SKIP LOCKED (a concurrent claimer takes others, never waits for
    /// these) and stamped with the claim before the transaction ends, so no second claimer can see them as due.
    /// </summary>
    public IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, string claimant, DateTimeOffset leaseUntil, int limit = 50)
    {
        _claimant = claimant;
        IReadOnlyList<Delivery> claimed = [];
        var written = database.WriteAsLeader((c, t) =>
        {
            using var command = new NpgsqlCommand($"""
                WITH due AS (
                    SELECT o.event_id, o.receiver FROM outbox o WHERE {Due} ORDER BY o.next_attempt_at, o.seq LIMIT @l FOR UPDATE SKIP LOCKED),
                claimed AS (
                    UPDATE outbox o SET claimed_by = @who, claimed_until = @until FROM due
                    WHERE o.event_id = due.event_id AND o.receiver = due.receiver
                    RETURNING o.event_id, o.receiver, o.attempts, o.next_attempt_at, o.seq)
                SELECT {EventReads.DeliveryColumns} FROM claimed o JOIN events e ON e.id = o.event_id ORDER BY o.next_attempt_at, o.seq
                """, c, t);
            command.Parameters.AddWithValue("now", now.ToUniversalTime());
            command.Parameters.AddWithValue("l", limit);
            command.Parameters.AddWithValue("who", claimant);
            command.Parameters.AddWithValue("until", leaseUntil.ToUniversalTime());
            claimed = EventReads.Deliveries(command, PostgresDialect.Instance);
        });
        // Not written with no database problem: refused, another replica took office; it sends them.
        return written || database.Problem() is null ? claimed : throw new StateStoreException($"State:ConnectionString {database.Location}: cannot claim outbox rows: {database.Problem()}");
    }

    private protected override T Read<T>(Func<DbConnection, T> read) => database.Read(read);

    private protected override bool Update(string eventId, string receiver, string set, DateTimeOffset at, string? error, bool claimed) => database.Write(c =>
    {
        var owner = claimed ? " AND (claimed_by IS NULL OR claimed_by = @me)" : "";
        using var command = new NpgsqlCommand(
            $"UPDATE outbox SET {set}, claimed_by = NULL, claimed_until = NULL WHERE event_id = @id AND receiver = @r{owner}", c);
        command.Parameters.AddWithValue("me", _claimant ?? "");
        command.Parameters.AddWithValue("id", eventId);
        command.Parameters.AddWithValue("r", receiver);
        command.Parameters.AddWithValue("at", at.ToUniversalTime());
        command.Parameters.Add(new NpgsqlParameter<string?>("err", error));
        command.ExecuteNonQuery();
    });
}
