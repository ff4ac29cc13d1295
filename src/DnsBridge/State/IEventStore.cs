using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>
/// The event log and the alert outbox: an event and its outbox rows (one per receiver) are written in one
/// transaction before anything is delivered, so a crash loses none and repeats none.
/// </summary>
internal interface IEventStore
{
    /// <summary>
    /// Writes the event, the cutover's new status (when given) and its outbox rows in one transaction; a replay of an
    /// event id already stored is ignored. False when the write failed; then nothing of it was stored.
    /// </summary>
    bool Append(CutoverEvent e, DrainStatus? status, IEnumerable<string> receivers, DateTimeOffset now);

    /// <summary>
    /// Writes a test event and its outbox rows, leaving every cutover's status alone. The rows are never due: the caller
    /// makes the one attempt and records it, so a dispatcher sharing the store never sends a test twice.
    /// </summary>
    bool AppendTest(CutoverEvent e, IEnumerable<string> receivers, DateTimeOffset now);

    /// <summary>The latest events, oldest first; all cutovers when <paramref name="cutover"/> is null.</summary>
    IReadOnlyList<CutoverEvent> Events(string? cutover, int limit = 200);

    /// <summary>The delivery of one event to each receiver.</summary>
    IReadOnlyList<OutboxRow> Outbox(string eventId);

    /// <summary>Rows due at <paramref name="now"/> (not delivered, not failed, next attempt reached, not under another's live claim), oldest due first.</summary>
    IReadOnlyList<Delivery> DueDeliveries(DateTimeOffset now, int limit = 50);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due rows for <paramref name="claimant"/> until <paramref name="leaseUntil"/>
    /// and returns them, oldest due first. A claim is recorded in the database in the same statement that selects
    /// the rows (PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>), so of several processes claiming at once each row goes to
    /// one of them; a claimed row is due again for anyone only once its lease has passed (its claimant died or lost
    /// the database), and then keeps its attempts and event id, so a receiver sees the same Idempotency-Key. Any
    /// <c>Mark*</c> or <see cref="GiveUp"/> on the row ends the claim. The caller sends each row and marks it before the
    /// lease ends (choose the lease longer than one attempt's timeout). SQLite: one process owns the file, so claims
    /// are not recorded and this is <see cref="DueDeliveries"/>.
    /// </summary>
    IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, string claimant, DateTimeOffset leaseUntil, int limit = 50);

    /// <summary>Receiver: the name the outbox row was written with (a string to the store; it knows no webhook).</summary>
    bool MarkDelivered(string eventId, string receiver, DateTimeOffset at);

    bool MarkRetry(string eventId, string receiver, DateTimeOffset next, string error);

    bool MarkFailed(string eventId, string receiver, DateTimeOffset at, string error);

    /// <summary>Stops retrying without counting another attempt (a test alert is tried once).</summary>
    bool GiveUp(string eventId, string receiver, DateTimeOffset at);

    /// <summary>Outbox rows not delivered yet (pending, being retried or failed), for a cutover.</summary>
    IReadOnlyList<PendingAlert> PendingAlerts(string cutover);

    /// <summary>The rows still being tried, all cutovers: what the pending-alert gauges show.</summary>
    OutboxBacklog Backlog();
}
