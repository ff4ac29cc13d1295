using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>The delivery state of one event to one receiver.</summary>
internal sealed record OutboxRow(string Receiver, int Attempts, string? LastError, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt);

/// <summary>An outbox row that is due: what the dispatcher sends next.</summary>
internal sealed record Delivery(string EventId, string Receiver, int Attempts, CutoverEvent Event);

/// <summary>
/// An event not delivered yet to one receiver (by name), as the API and status page show it: pending since the
/// event was raised, next tried at <paramref name="NextAttemptAt"/> unless failed.
/// </summary>
internal sealed record PendingAlert(string Event, string Id, string Receiver, int Attempts, string? LastError, bool Failed, DateTimeOffset Since, DateTimeOffset NextAttemptAt);

/// <summary>Deliveries still being tried (neither delivered nor failed): how many per event, and the oldest one's event time.</summary>
internal sealed record OutboxBacklog(IReadOnlyDictionary<string, int> ByEvent, DateTimeOffset? OldestSince);
