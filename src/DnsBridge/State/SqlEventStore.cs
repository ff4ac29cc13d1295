using System.Data.Common;
using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>
/// What the SQLite and the PostgreSQL event stores share: the reads (<see cref="EventReads"/>) and the outbox's
/// outcome updates. Each provider adds how an event is inserted, how due rows are taken and how an update is written
/// (PostgreSQL also releases the row's claim); each implements <see cref="IEventStore"/>.
/// </summary>
internal abstract class SqlEventStore
{
    private protected SqlEventStore(StateDialect dialect) => Dialect = dialect;

    private protected StateDialect Dialect { get; }

    public IReadOnlyList<CutoverEvent> Events(string? cutover, int limit = 200) => Read(c => EventReads.Events(c, Dialect, cutover, limit));

    public IReadOnlyList<OutboxRow> Outbox(string eventId) => Read(c => EventReads.Outbox(c, Dialect, eventId));

    public IReadOnlyList<PendingAlert> PendingAlerts(string cutover) => Read(c => EventReads.PendingAlerts(c, Dialect, cutover));

    public OutboxBacklog Backlog() => Read(c => EventReads.Backlog(c, Dialect));

    // A delivery that happened is recorded whoever holds the row's claim now; a retry or a failure only by the claim's
    // holder (a dispatcher whose claim was taken over after its lease must not release its successor's claim).
    public bool MarkDelivered(string eventId, string receiver, DateTimeOffset at) =>
        Update(eventId, receiver, "delivered_at = @at, attempts = attempts + 1, last_error = NULL", at, null, claimed: false);

    public bool MarkRetry(string eventId, string receiver, DateTimeOffset next, string error) =>
        Update(eventId, receiver, "attempts = attempts + 1, next_attempt_at = @at, last_error = @err", next, error, claimed: true);

    public bool MarkFailed(string eventId, string receiver, DateTimeOffset at, string error) =>
        Update(eventId, receiver, "attempts = attempts + 1, failed_at = @at, last_error = @err", at, error, claimed: true);

    public bool GiveUp(string eventId, string receiver, DateTimeOffset at) =>
        Update(eventId, receiver, "failed_at = @at", at, null, claimed: false);

    /// <summary>Runs a read on the provider's database (a failure is a <see cref="StateStoreException"/>).</summary>
    private protected abstract T Read<T>(Func<DbConnection, T> read);

    /// <summary>
    /// Writes one outbox row's outcome: <paramref name="set"/> names <c>@at</c> and <c>@err</c>. With
    /// <paramref name="claimed"/>, only while the row is unclaimed or claimed by this store's last claimant (PostgreSQL;
    /// one SQLite process has nobody to claim against).
    /// </summary>
    private protected abstract bool Update(string eventId, string receiver, string set, DateTimeOffset at, string? error, bool claimed);
}
