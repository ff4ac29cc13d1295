using DnsBridge.Events;

namespace DnsBridge.Drain;

/// <summary>One step of the drain state machine: the next status, and the event it raises (with its one-line text), if any.</summary>
internal sealed record DrainTransition(DrainStatus Status, string? Event = null, string? Text = null);
