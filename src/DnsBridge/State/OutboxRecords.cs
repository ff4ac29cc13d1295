using DnsBridge.Events;

namespace DnsBridge.State;

/// <summary>The delivery state of one event to one receiver.</summary>
public sealed record OutboxRow(string Receiver, int Attempts, string? LastError, DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt);

/// <summary>An outbox row that is due: what the dispatcher sends next.</summary>
public sealed record Delivery(string EventId, string Receiver, int Attempts, CutoverEvent Event);

/// <summary>An event not delivered yet to one receiver, as the API and status page show it.</summary>
public sealed record PendingAlert(string Event, string Id, int Attempts, string? LastError, bool Failed);
