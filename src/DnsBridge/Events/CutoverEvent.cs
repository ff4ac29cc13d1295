namespace DnsBridge.Events;

/// <summary>One event of a cutover's timeline, as stored and as delivered to webhooks.</summary>
public sealed record CutoverEvent(string Id, string Cutover, string Event, DateTimeOffset At, string Text);
