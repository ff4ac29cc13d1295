namespace DnsBridge.Events;

/// <summary>
/// One event of a cutover's timeline, as stored and as delivered to webhooks. <paramref name="Fields"/>: the event's
/// structured facts as a JSON object (text, so records compare by value), added to the webhook's JSON body beside
/// <c>id</c>, <c>event</c>, <c>cutover</c>, <c>at</c> and <c>text</c>; null for events whose text says it all.
/// </summary>
internal sealed record CutoverEvent(string Id, string Cutover, string Event, DateTimeOffset At, string Text, string? Fields = null);
